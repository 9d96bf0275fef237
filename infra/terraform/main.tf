# Identity, storage, Key Vault, monitoring, role assignments and the optional network: ../modules/*.bicep.

data "azurerm_client_config" "current" {}

data "azurerm_resource_group" "target" {
  name = var.resource_group_name
}

locals {
  location = var.location != "" ? var.location : data.azurerm_resource_group.target.location
  # Bicep: uniqueString(subscription().id, resourceGroup().id, baseName); Terraform has no uniqueString, so the
  # token differs and the two trees name their resources differently (never deploy both into one group).
  token = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${data.azurerm_resource_group.target.id}/${var.base_name}"), 0, 13)
  names = {
    identity     = "id-${var.base_name}-${local.token}"
    storage      = substr("st${lower(var.base_name)}${local.token}", 0, 24)
    key_vault    = substr("kv-${lower(var.base_name)}-${local.token}", 0, 24)
    workspace    = "log-${var.base_name}-${local.token}"
    app_insights = "appi-${var.base_name}-${local.token}"
    plan         = "plan-${var.base_name}-${local.token}"
    function_app = "func-${var.base_name}-${local.token}"
    vnet         = "vnet-${var.base_name}-${local.token}"
  }

  # Queues, tables and containers: keep in step with shared/storage/names.py (tests/infra check it).
  queue_names        = ["woo-events", "erp-events"]
  poison_queue_names = [for q in local.queue_names : "${q}-poison"]
  table_names        = ["ledger", "audit", "watermarks", "customers", "skus", "shipments", "skumap", "storehistory", "productfields"]
  container_names    = ["claim-checks", "reports", "erp-slots"]
  # Flex Consumption pulls the code package from here.
  deployment_container_name = "app-package"

  # App setting -> Key Vault secret name, for the app-wide secrets (as main.bicep appSecretNames).
  app_secret_names = {
    BC_CLIENT_SECRET        = "bc-client-secret"
    BC_WEBHOOK_CLIENT_STATE = "bc-webhook-client-state"
    WEBHOOK_FUNCTION_KEY    = "webhook-function-key"
  }
  stores = [for s in var.woo_stores : {
    id                     = lower(s.id)
    url                    = s.url
    currency               = s.currency
    erp                    = s.erp
    document_prefix        = s.document_prefix
    ca_bundle              = s.ca_bundle
    consumer_key_secret    = "woo-${lower(s.id)}-consumer-key"
    consumer_secret_secret = "woo-${lower(s.id)}-consumer-secret"
    webhook_secret_secret  = "woo-${lower(s.id)}-webhook-secret"
  }]

  # Secret values, empty where not given: those are skipped and the vault keeps what it has.
  secret_values = merge(
    {
      (local.app_secret_names.BC_CLIENT_SECRET)        = var.bc_client_secret
      (local.app_secret_names.BC_WEBHOOK_CLIENT_STATE) = var.bc_webhook_client_state
      (local.app_secret_names.WEBHOOK_FUNCTION_KEY)    = var.webhook_function_key
    },
    { for s in local.stores : s.consumer_key_secret => try(var.woo_store_secrets[s.id].consumerKey, "") },
    { for s in local.stores : s.consumer_secret_secret => try(var.woo_store_secrets[s.id].consumerSecret, "") },
    { for s in local.stores : s.webhook_secret_secret => try(var.woo_store_secrets[s.id].webhookSecret, "") },
  )
  secrets_to_write = nonsensitive(toset([for name, value in local.secret_values : name if value != ""]))

  # The connector's settings: ONE list for both IaC trees (../connector-settings.json, read by main.bicep too).
  connector_setting_defaults        = jsondecode(file("${path.module}/../connector-settings.json")).settings
  connector_settings_from_variables = {
    BC_TENANT_ID   = var.bc_tenant_id
    BC_ENVIRONMENT = var.bc_environment
    BC_COMPANY_ID  = var.bc_company_id
    BC_CLIENT_ID   = var.bc_client_id
    BC_API_URL     = var.bc_api_url
  }
  connector_settings = merge(local.connector_setting_defaults, local.connector_settings_from_variables, var.setting_overrides)

  erp_host = split("/", replace(replace(var.bc_api_url, "https://", ""), "http://", ""))[0]

  # Role definition ids (facts/azure-functions.md §6.2), the same six as ../modules/rbac.bicep.
  roles = {
    storage_blob_data_owner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    storage_queue_data_contributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
    storage_table_data_contributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
    key_vault_secrets_user         = "4633458b-17de-408a-b874-0445c86b69e6"
    monitoring_metrics_publisher   = "3913510d-42f4-4e42-8a64-420c390055eb"
    key_vault_secrets_officer      = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
  }
}

# ------------------------------------------------------------------ identity (identity.bicep)

resource "azurerm_user_assigned_identity" "app" {
  name                = local.names.identity
  resource_group_name = var.resource_group_name
  location            = local.location
  tags                = var.tags
}

# ------------------------------------------------------------------ storage (storage.bicep)

resource "azurerm_storage_account" "app" {
  #checkov:skip=CKV_AZURE_35: The Flex Consumption app reaches storage over the public endpoint unless the merchant adds VNet integration and private endpoints; access is Entra ID only (no shared keys), so a network deny-by-default would only break the app.
  #checkov:skip=CKV_AZURE_59: Same reason as CKV_AZURE_35: without VNet integration the function app needs the public endpoint. Anonymous access is still impossible (shared keys and public blob access are off).
  #checkov:skip=CKV2_AZURE_33: No private endpoint for the same reason as CKV_AZURE_35; merchants who add VNet integration add the private endpoints with it.
  #checkov:skip=CKV2_AZURE_1: Microsoft-managed keys with infrastructure (double) encryption, as in the Bicep; customer-managed keys would add a Key Vault key whose loss stops the connector, a merchant choice.
  #checkov:skip=CKV_AZURE_33: Queue service request logging is Storage Analytics classic logging, which needs shared-key access (turned off here); queue failures surface as function failures and poison alerts instead.
  #checkov:skip=CKV_AZURE_206: Replication is var.storage_sku (default Standard_GRS, geo-redundant, as in the Bicep); checkov cannot evaluate the trimprefix() that turns it into account_replication_type.
  #checkov:skip=CKV_AZURE_43: The name is generated ("st" + base_name, validated as letters and digits, + a 13-character hex token, lower-cased and cut to 24), which meets the naming rules; checkov cannot evaluate substr()/sha1().
  #checkov:skip=CKV2_AZURE_41: No SAS is ever issued: shared keys are off (shared_access_key_enabled = false), so there is no SAS expiration policy to set.
  name                              = local.names.storage
  resource_group_name               = var.resource_group_name
  location                          = local.location
  tags                              = var.tags
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = trimprefix(var.storage_sku, "Standard_")
  access_tier                       = "Hot"
  shared_access_key_enabled         = false # identity only: AzureWebJobsStorage__credential=managedidentity
  default_to_oauth_authentication   = true
  allow_nested_items_to_be_public   = false
  cross_tenant_replication_enabled  = false
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  public_network_access_enabled     = true
  infrastructure_encryption_enabled = true
  local_user_enabled                = false

  network_rules {
    default_action = "Allow"
    bypass         = ["AzureServices"]
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_container" "app" {
  #checkov:skip=CKV2_AZURE_21: Blob read logging (Storage Analytics classic logging) needs shared-key access, which is off; access is by the app's identity only and Entra sign-ins are audited.
  for_each              = toset(concat(local.container_names, [local.deployment_container_name]))
  name                  = each.value
  storage_account_id    = azurerm_storage_account.app.id
  container_access_type = "private"
}

resource "azurerm_storage_queue" "app" {
  for_each           = toset(concat(local.queue_names, local.poison_queue_names))
  name               = each.value
  storage_account_id = azurerm_storage_account.app.id
}

resource "azurerm_storage_table" "app" {
  #checkov:skip=CKV2_AZURE_20: Table read logging (Storage Analytics classic logging) needs shared-key access, which is off; access is by the app's identity only and Entra sign-ins are audited.
  for_each           = toset(local.table_names)
  name               = each.value
  storage_account_id = azurerm_storage_account.app.id # created through ARM, as queues and containers
}

# ------------------------------------------------------------------ Key Vault (keyvault.bicep)

resource "azurerm_key_vault" "app" {
  #checkov:skip=CKV_AZURE_109: The function app resolves Key Vault references over the public endpoint (App Service is not a "trusted service" for the Key Vault firewall); restricting the network needs VNet integration + a private endpoint, which merchants can add. Access is RBAC-only.
  #checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109: public network access is needed without VNet integration.
  #checkov:skip=CKV2_AZURE_32: No private endpoint for the same reason as CKV_AZURE_109.
  name                            = local.names.key_vault
  resource_group_name             = var.resource_group_name
  location                        = local.location
  tags                            = var.tags
  tenant_id                       = data.azurerm_client_config.current.tenant_id
  sku_name                        = "standard"
  rbac_authorization_enabled      = true
  soft_delete_retention_days      = 90
  purge_protection_enabled        = true # cannot be turned off again
  enabled_for_deployment          = false
  enabled_for_disk_encryption     = false
  enabled_for_template_deployment = false
  public_network_access_enabled   = true

  network_acls {
    bypass         = "AzureServices"
    default_action = "Allow"
  }
}

resource "azurerm_key_vault_secret" "app" {
  #checkov:skip=CKV_AZURE_41: No expiry date: an expired secret makes the Key Vault reference fail and stops order processing. Rotation is an operator task (infra/README.md "Rotating secrets"); the credentials' real expiry lives in WooCommerce and Entra ID.
  for_each     = local.secrets_to_write
  name         = each.value
  value        = local.secret_values[each.value]
  content_type = "text/plain"
  key_vault_id = azurerm_key_vault.app.id
  depends_on   = [azurerm_role_assignment.secrets_officer_deployer]
}

# Terraform writes the secrets itself, so the identity running it needs Secrets Officer on the vault (the
# Bicep writes them through ARM instead, which needs no data-plane role).
resource "azurerm_role_assignment" "secrets_officer_deployer" {
  scope              = azurerm_key_vault.app.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.key_vault_secrets_officer}"
  principal_id       = data.azurerm_client_config.current.object_id
}

# ------------------------------------------------------------------ monitoring (monitoring.bicep)

resource "azurerm_log_analytics_workspace" "app" {
  name                       = local.names.workspace
  resource_group_name        = var.resource_group_name
  location                   = local.location
  tags                       = var.tags
  sku                        = "PerGB2018"
  retention_in_days          = var.log_retention_in_days
  internet_ingestion_enabled = true
  internet_query_enabled     = true
}

resource "azurerm_application_insights" "app" {
  name                          = local.names.app_insights
  resource_group_name           = var.resource_group_name
  location                      = local.location
  tags                          = var.tags
  application_type              = "web"
  workspace_id                  = azurerm_log_analytics_workspace.app.id
  local_authentication_disabled = true # Entra ID ingestion only (Monitoring Metrics Publisher)
  internet_ingestion_enabled    = true
  internet_query_enabled        = true
}

# ------------------------------------------------------------------ role assignments (rbac.bicep): the same five

locals {
  app_role_assignments = {
    blob_data_owner        = { scope = azurerm_storage_account.app.id, role = local.roles.storage_blob_data_owner }
    queue_data_contributor = { scope = azurerm_storage_account.app.id, role = local.roles.storage_queue_data_contributor }
    table_data_contributor = { scope = azurerm_storage_account.app.id, role = local.roles.storage_table_data_contributor }
    secrets_user           = { scope = azurerm_key_vault.app.id, role = local.roles.key_vault_secrets_user }
    metrics_publisher      = { scope = azurerm_application_insights.app.id, role = local.roles.monitoring_metrics_publisher }
  }
}

resource "azurerm_role_assignment" "app" {
  for_each           = local.app_role_assignments
  scope              = each.value.scope
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${each.value.role}"
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "secrets_officer" {
  count              = var.secrets_officer_principal_id != "" ? 1 : 0
  scope              = azurerm_key_vault.app.id
  role_definition_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.key_vault_secrets_officer}"
  principal_id       = var.secrets_officer_principal_id
  principal_type     = var.secrets_officer_principal_type
}

# ------------------------------------------------------------------ optional network (network.bicep)

resource "azurerm_virtual_network" "app" {
  count               = var.vnet_enabled ? 1 : 0
  name                = local.names.vnet
  resource_group_name = var.resource_group_name
  location            = local.location
  tags                = var.tags
  address_space       = [var.vnet_address_prefix]
}

resource "azurerm_subnet" "app_integration" {
  #checkov:skip=CKV2_AZURE_31: The subnet is delegated to Microsoft.App/environments for Flex Consumption outbound integration only (no inbound endpoints live in it); an NSG is a merchant choice with their on-premises routing.
  count                = var.vnet_enabled ? 1 : 0
  name                 = "app-integration" # Flex: no underscores in the subnet name
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.app[0].name
  address_prefixes     = [var.app_subnet_prefix] # a /26: about 40 instance IPs

  delegation {
    name = "flex-consumption"
    service_delegation {
      name    = "Microsoft.App/environments"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "gateway" {
  #checkov:skip=CKV2_AZURE_31: Azure does not support an NSG on a GatewaySubnet (the VPN/ExpressRoute gateway's subnet).
  count                = var.vnet_enabled && var.gateway_subnet_prefix != "" ? 1 : 0
  name                 = "GatewaySubnet" # the name Azure requires for a virtual network gateway
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.app[0].name
  address_prefixes     = [var.gateway_subnet_prefix]
}

resource "azurerm_private_dns_zone" "erp" {
  count               = var.vnet_enabled && var.erp_private_dns_zone != "" ? 1 : 0
  name                = var.erp_private_dns_zone
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "erp" {
  count                 = var.vnet_enabled && var.erp_private_dns_zone != "" ? 1 : 0
  name                  = "${local.names.vnet}-link"
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.erp[0].name
  virtual_network_id    = azurerm_virtual_network.app[0].id
  registration_enabled  = false
  tags                  = var.tags
}

resource "azurerm_private_dns_a_record" "erp" {
  for_each            = var.vnet_enabled && var.erp_private_dns_zone != "" ? { for r in var.erp_private_dns_records : r.name => r.ipv4_address } : {}
  name                = each.key
  zone_name           = azurerm_private_dns_zone.erp[0].name
  resource_group_name = var.resource_group_name
  ttl                 = 300
  records             = [each.value]
  tags                = var.tags
}
