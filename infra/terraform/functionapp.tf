# The function app: Flex Consumption (FC1, Linux), Python, running as the user-assigned identity; every secret
# app setting a Key Vault reference (../modules/functionapp.bicep).

locals {
  kv_uri = azurerm_key_vault.app.vault_uri # ends with a slash

  # The same settings, by the same names, as functionapp.bicep's appSettings (tests/infra compare the two).
  host_settings = {
    AzureWebJobsStorage__blobServiceUri         = azurerm_storage_account.app.primary_blob_endpoint
    AzureWebJobsStorage__queueServiceUri        = azurerm_storage_account.app.primary_queue_endpoint
    AzureWebJobsStorage__tableServiceUri        = azurerm_storage_account.app.primary_table_endpoint
    AzureWebJobsStorage__credential             = "managedidentity"
    AzureWebJobsStorage__clientId               = azurerm_user_assigned_identity.app.client_id
    AZURE_CLIENT_ID                             = azurerm_user_assigned_identity.app.client_id
    APPLICATIONINSIGHTS_CONNECTION_STRING       = azurerm_application_insights.app.connection_string
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING   = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
    PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY = "true" # with host.json "telemetryMode": "OpenTelemetry"
  }
  derived_settings = {
    PUBLIC_BASE_URL = "https://${local.names.function_app}.azurewebsites.net"
  }
  secret_settings = {
    for setting, secret in local.app_secret_names : setting => "@Microsoft.KeyVault(SecretUri=${local.kv_uri}secrets/${secret}/)"
  }
  store_settings = merge([for s in local.stores : {
    "WOO_STORES__${s.id}__URL"             = s.url
    "WOO_STORES__${s.id}__CURRENCY"        = s.currency
    "WOO_STORES__${s.id}__ERP"             = s.erp
    "WOO_STORES__${s.id}__DOCUMENT_PREFIX" = s.document_prefix
    "WOO_STORES__${s.id}__CA_BUNDLE"       = s.ca_bundle
    "WOO_STORES__${s.id}__CONSUMER_KEY"    = "@Microsoft.KeyVault(SecretUri=${local.kv_uri}secrets/${s.consumer_key_secret}/)"
    "WOO_STORES__${s.id}__CONSUMER_SECRET" = "@Microsoft.KeyVault(SecretUri=${local.kv_uri}secrets/${s.consumer_secret_secret}/)"
    "WOO_STORES__${s.id}__WEBHOOK_SECRET"  = "@Microsoft.KeyVault(SecretUri=${local.kv_uri}secrets/${s.webhook_secret_secret}/)"
  }]...)
  app_settings = merge(local.host_settings, local.connector_settings, local.derived_settings, local.secret_settings, local.store_settings)
}

resource "azurerm_service_plan" "app" {
  #checkov:skip=CKV_AZURE_225: Zone redundancy is a merchant choice (it is not offered for Flex Consumption in every region); the connector's durability comes from the geo-redundant queues and ledger, so a zone outage delays processing but loses nothing.
  #checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand; a minimum worker count does not apply to it.
  #checkov:skip=CKV_AZURE_211: The Flex Consumption SKU is FC1; the "not a free/shared plan" check predates it.
  name                = local.names.plan
  resource_group_name = var.resource_group_name
  location            = local.location
  tags                = var.tags
  os_type             = "Linux"
  sku_name            = "FC1"
}

resource "azurerm_function_app_flex_consumption" "app" {
  name                = local.names.function_app
  resource_group_name = var.resource_group_name
  location            = local.location
  # azd deploys the service `api` (../../azure.yaml) to the site with this tag.
  tags            = merge(var.tags, { "azd-service-name" = "api" })
  service_plan_id = azurerm_service_plan.app.id

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  https_only                                     = true
  client_certificate_enabled                     = false
  public_network_access_enabled                  = true
  webdeploy_publish_basic_authentication_enabled = false # no basic-auth (publishing profile) deployments
  virtual_network_subnet_id                      = var.vnet_enabled ? azurerm_subnet.app_integration[0].id : null

  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.app.primary_blob_endpoint}${local.deployment_container_name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.app.id

  runtime_name           = "python"
  runtime_version        = var.python_version
  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.instance_memory_mb
  http_concurrency       = var.http_per_instance_concurrency

  site_config {
    minimum_tls_version     = "1.2"
    scm_minimum_tls_version = "1.2"
    http2_enabled           = true
  }

  app_settings = local.app_settings

  # The host needs its storage roles from the first start; Key Vault references need Secrets User.
  depends_on = [azurerm_role_assignment.app]
}

# Key Vault references resolve with the user-assigned identity (keyVaultReferenceIdentity, as in the Bicep): the
# azurerm Flex Consumption resource has no argument for it (hashicorp/terraform-provider-azurerm#28928).
resource "azapi_update_resource" "key_vault_reference_identity" {
  type        = "Microsoft.Web/sites@2024-04-01"
  resource_id = azurerm_function_app_flex_consumption.app.id
  body        = {
    properties = {
      keyVaultReferenceIdentity = azurerm_user_assigned_identity.app.id
    }
  }
}

# No FTP (Flex Consumption offers none; the policy says so explicitly, as the Bicep's does).
resource "azapi_update_resource" "ftp_publishing" {
  type      = "Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01"
  parent_id = azurerm_function_app_flex_consumption.app.id
  name      = "ftp"
  body      = {
    properties = {
      allow = false
    }
  }
}
