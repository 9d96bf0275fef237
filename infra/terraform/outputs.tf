output "function_app_name" {
  description = "Name of the function app."
  value       = azurerm_function_app_flex_consumption.app.name
}

output "function_app_host_name" {
  description = "Default host name of the function app."
  value       = azurerm_function_app_flex_consumption.app.default_hostname
}

output "webhook_urls" {
  description = "WooCommerce delivery URL per store; the code is the function key (az functionapp keys list)."
  value       = [for s in local.stores : "https://${azurerm_function_app_flex_consumption.app.default_hostname}/api/webhooks/woo/${s.id}?code=<function key>"]
}

output "key_vault_name" {
  description = "Key Vault holding the app's secrets."
  value       = azurerm_key_vault.app.name
}

output "storage_account_name" {
  description = "Storage account of the host and the app's queues, tables and blobs."
  value       = azurerm_storage_account.app.name
}

output "identity_client_id" {
  description = "Client id of the app's user-assigned identity."
  value       = azurerm_user_assigned_identity.app.client_id
}

output "workspace_name" {
  description = "Log Analytics workspace of the app's telemetry."
  value       = azurerm_log_analytics_workspace.app.name
}

output "app_insights_name" {
  description = "Application Insights component."
  value       = azurerm_application_insights.app.name
}

output "max_concurrent_erp_calls" {
  description = "ERP calls in flight at most to the BC_* connection, across every instance and function (BC_MAX_CONCURRENCY, enforced by the app with blob-lease slots; other connections: ERPS__<id>__MAX_CONCURRENCY each)."
  value       = tonumber(local.connector_settings["BC_MAX_CONCURRENCY"])
}
