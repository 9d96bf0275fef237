# Inputs: the same as ../main.bicep's parameters (snake_case), with the same defaults and limits.

# ------------------------------------------------------------------ general

variable "resource_group_name" {
  description = "Existing resource group to deploy into (the Bicep deploys at resource-group scope too)."
  type        = string
}

variable "location" {
  description = "Azure region; must offer Flex Consumption. Empty: the resource group's region."
  type        = string
  default     = ""
}

variable "base_name" {
  description = "Short name used in every resource name (letters and digits, 2-12)."
  type        = string
  default     = "woodyn"
  validation {
    condition     = can(regex("^[A-Za-z0-9]{2,12}$", var.base_name))
    error_message = "base_name: 2-12 letters and digits."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "alert_email" {
  description = "Email address that receives the operational alerts."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email: an email address."
  }
}

# ------------------------------------------------------------------ WooCommerce

variable "woo_stores" {
  description = "WooCommerce stores: [{ id = \"main\", url = \"https://shop.example.com/\", currency = \"EUR\", document_prefix = \"WEB-\" }] (erp names its ERP connection, default the BC_* one; stores sharing a connection need distinct document_prefix values; ca_bundle: extra CA certificates for a store behind a private CA). The id (lower-case letters and digits) appears in the webhook URL, the app settings and the Key Vault secret names."
  type = list(object({
    id              = string
    url             = string
    currency        = string
    erp             = optional(string, "")
    document_prefix = optional(string, "")
    ca_bundle       = optional(string, "")
  }))
  validation {
    condition     = length(var.woo_stores) >= 1 && alltrue([for s in var.woo_stores : can(regex("^[a-z0-9]+$", s.id)) && startswith(s.url, "https://")])
    error_message = "woo_stores: at least one store; ids of lower-case letters and digits; https URLs."
  }
}

variable "webhook_function_key" {
  description = "Function key WooCommerce (and BC) webhooks use in ?code=, stored in Key Vault as WEBHOOK_FUNCTION_KEY. Empty keeps the value already in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "woo_store_secrets" {
  description = "Per-store secrets keyed by store id, the same JSON as the Bicep's wooStoreSecrets: { main = { consumerKey = \"ck_...\", consumerSecret = \"cs_...\", webhookSecret = \"...\" } }. A store left out (or an empty value) keeps the secret already in Key Vault."
  type        = map(object({
    consumerKey    = optional(string, "")
    consumerSecret = optional(string, "")
    webhookSecret  = optional(string, "")
  }))
  default   = {}
  sensitive = true
}

# ------------------------------------------------------------------ ERP (Business Central)

variable "bc_tenant_id" {
  description = "Entra ID tenant id of the Business Central environment (BC_TENANT_ID)."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F-]{36}$", var.bc_tenant_id))
    error_message = "bc_tenant_id: a GUID."
  }
}

variable "bc_environment" {
  description = "Business Central environment name (BC_ENVIRONMENT)."
  type        = string
  default     = "production"
}

variable "bc_company_id" {
  description = "Business Central company id, a GUID (BC_COMPANY_ID)."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F-]{36}$", var.bc_company_id))
    error_message = "bc_company_id: a GUID."
  }
}

variable "bc_client_id" {
  description = "Application (client) id of the Entra app registration the connector signs in to BC with (BC_CLIENT_ID)."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F-]{36}$", var.bc_client_id))
    error_message = "bc_client_id: a GUID."
  }
}

variable "bc_client_secret" {
  description = "Client secret of that app registration. Empty keeps the secret already in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "bc_webhook_client_state" {
  description = "Shared secret Business Central returns in every webhook notification (BC_WEBHOOK_CLIENT_STATE). Empty keeps the value already in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "bc_api_url" {
  description = "Business Central API base URL (BC_API_URL)."
  type        = string
  default     = "https://api.businesscentral.dynamics.com"
  validation {
    condition     = can(regex("^https?://", var.bc_api_url))
    error_message = "bc_api_url: an http(s) URL."
  }
}

# ------------------------------------------------------------------ connector behaviour

variable "setting_overrides" {
  description = "Connector settings to change from the defaults (../connector-settings.json), by app-setting name, e.g. { BC_DOCUMENT_KIND = \"salesInvoice\" }. Never put a secret here: secrets go to Key Vault."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------------ scale and operations

variable "maximum_instance_count" {
  description = "Maximum instances per function scale group (Flex Consumption applies it per group, not to the app). Not an ERP limit: BC_MAX_CONCURRENCY is, across all instances."
  type        = number
  default     = 40
  validation {
    condition     = var.maximum_instance_count >= 40 && var.maximum_instance_count <= 1000
    error_message = "maximum_instance_count: 40-1000 (the range every Flex Consumption document accepts)."
  }
}

variable "instance_memory_mb" {
  description = "Memory per instance (MB)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([512, 2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb: 512, 2048 or 4096."
  }
}

variable "python_version" {
  description = "Python version of the function app."
  type        = string
  default     = "3.12"
  validation {
    condition     = contains(["3.11", "3.12"], var.python_version)
    error_message = "python_version: 3.11 or 3.12."
  }
}

variable "http_per_instance_concurrency" {
  description = "Concurrent HTTP requests per instance (webhooks only verify and enqueue)."
  type        = number
  default     = 16
  validation {
    condition     = var.http_per_instance_concurrency >= 1 && var.http_per_instance_concurrency <= 1000
    error_message = "http_per_instance_concurrency: 1-1000."
  }
}

variable "storage_sku" {
  description = "Storage replication."
  type        = string
  default     = "Standard_GRS"
  validation {
    condition     = contains(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS", "Standard_RAGRS", "Standard_RAGZRS"], var.storage_sku)
    error_message = "storage_sku: one of the Standard_* replication kinds."
  }
}

variable "log_retention_in_days" {
  description = "Days logs are kept."
  type        = number
  default     = 90
  validation {
    condition     = var.log_retention_in_days >= 30 && var.log_retention_in_days <= 730
    error_message = "log_retention_in_days: 30-730."
  }
}

variable "held_order_alert_minutes" {
  description = "Alert when an order has been held longer than this many minutes."
  type        = number
  default     = 60
  validation {
    condition     = var.held_order_alert_minutes >= 5 && var.held_order_alert_minutes <= 1440
    error_message = "held_order_alert_minutes: 5-1440."
  }
}

variable "function_failure_threshold" {
  description = "Alert when a function fails more often than this within 15 minutes (0: the first failure)."
  type        = number
  default     = 0
  validation {
    condition     = var.function_failure_threshold >= 0
    error_message = "function_failure_threshold: 0 or more."
  }
}

variable "vnet_enabled" {
  description = "Put the function app into a new virtual network (subnet delegated to Microsoft.App/environments), for an ERP reached over a private network (Dynamics GP on premises). Needs the Microsoft.App resource provider."
  type        = bool
  default     = false
}

variable "vnet_address_prefix" {
  description = "Address space of that virtual network (it must not overlap the merchant's on-premises ranges)."
  type        = string
  default     = "10.60.0.0/24"
}

variable "app_subnet_prefix" {
  description = "The app's integration subnet inside it: a /26 leaves room for about 40 instance IPs."
  type        = string
  default     = "10.60.0.0/26"
}

variable "gateway_subnet_prefix" {
  description = "A GatewaySubnet inside it for the merchant's VPN or ExpressRoute gateway (a /27 or larger); empty: none."
  type        = string
  default     = ""
}

variable "erp_private_dns_zone" {
  description = "A private DNS zone linked to that network for the ERP's host names (e.g. corp.example.com); empty: none."
  type        = string
  default     = ""
}

variable "erp_private_dns_records" {
  description = "A records in that zone for the ERP server: [{ name, ipv4_address }], e.g. name gp, ipv4_address 10.1.2.3."
  type = list(object({
    name         = string
    ipv4_address = string
  }))
  default = []
}

variable "secrets_officer_principal_id" {
  description = "Optional object id of a user or group who may read and rotate the secrets (Key Vault Secrets Officer)."
  type        = string
  default     = ""
}

variable "secrets_officer_principal_type" {
  description = "Principal type of secrets_officer_principal_id."
  type        = string
  default     = "User"
  validation {
    condition     = contains(["User", "Group", "ServicePrincipal"], var.secrets_officer_principal_type)
    error_message = "secrets_officer_principal_type: User, Group or ServicePrincipal."
  }
}
