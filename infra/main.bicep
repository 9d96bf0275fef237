// WooCommerce <-> Microsoft Dynamics connector: everything the function app needs, in the merchant's own
// subscription, deployed into one resource group:
//
//   az deployment group create -g <resource group> -f infra/main.bicep -p @infra/main.parameters.json
//
// Modules (infra/modules/): identity -> storage, keyvault, monitoring -> rbac -> functionapp -> operations.
// Plain resources only (no br/public registry modules), so the template can be read and checked offline.
// See infra/README.md for prerequisites, publishing the code and the post-deployment steps.

targetScope = 'resourceGroup'

// ------------------------------------------------------------------ general

@description('Azure region; must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Short name used in every resource name (letters and digits, 2-12).')
@minLength(2)
@maxLength(12)
param baseName string = 'woodyn'

@description('Tags for every resource.')
param tags object = {}

@description('Azure Developer CLI environment name (azd sets it from AZURE_ENV_NAME); tags every resource azd-env-name. Empty outside azd.')
param environmentName string = ''

@description('Email address that receives the operational alerts.')
param alertEmail string

// ------------------------------------------------------------------ WooCommerce

@description('WooCommerce stores: [ { "id": "main", "url": "https://shop.example.com/", "currency": "EUR", "documentPrefix": "WEB-" } ] ("erp" names its ERP connection, default the BC_* one; stores sharing a connection need distinct "documentPrefix" values). Optional "caBundle": extra CA certificates (PEM text, or a file path in the app) for a store behind a private CA. The id (lower-case letters and digits) appears in the webhook URL, the app settings and the Key Vault secret names.')
@minLength(1)
param wooStores array

@description('Function key WooCommerce (and BC) webhooks use in ?code=, stored in Key Vault as WEBHOOK_FUNCTION_KEY; set the same value as a host key of the function app after publishing (infra/README.md). Empty keeps the value already in Key Vault.')
@secure()
param webhookFunctionKey string = ''

@description('Per-store secrets keyed by store id: { "main": { "consumerKey": "ck_...", "consumerSecret": "cs_...", "webhookSecret": "..." } }. A store left out (or an empty value) keeps the secret already in Key Vault.')
@secure()
param wooStoreSecrets object = {}

// ------------------------------------------------------------------ ERP (Business Central)

@description('Entra ID tenant id of the Business Central environment (BC_TENANT_ID).')
param bcTenantId string

@description('Business Central environment name (BC_ENVIRONMENT).')
param bcEnvironment string = 'production'

@description('Business Central company id, a GUID (BC_COMPANY_ID).')
param bcCompanyId string

@description('Application (client) id of the Entra app registration the connector signs in to BC with (BC_CLIENT_ID).')
param bcClientId string

@description('Client secret of that app registration. Empty keeps the secret already in Key Vault.')
@secure()
param bcClientSecret string = ''

@description('Shared secret Business Central returns in every webhook notification (BC_WEBHOOK_CLIENT_STATE). Empty keeps the value already in Key Vault; while the vault has none, the connector polls instead of subscribing.')
@secure()
param bcWebhookClientState string = ''

@description('Business Central API base URL (BC_API_URL).')
param bcApiUrl string = 'https://api.businesscentral.dynamics.com'

// ------------------------------------------------------------------ connector behaviour

@description('Connector settings to change from the defaults (connectorSettingDefaults below), by app-setting name, e.g. { "BC_DOCUMENT_KIND": "salesInvoice" }. Values are strings; map settings (BC_SKU_MAP, BC_TAX_CODE_MAP) are JSON text. Never put a secret here: secrets go to Key Vault.')
param settingOverrides object = {}

// ------------------------------------------------------------------ scale and operations

@description('Maximum instances per function scale group (Flex Consumption applies it per group, not to the app). 40 is the floor every Flex document and sample accepts. It does not protect the ERP: BC_MAX_CONCURRENCY does, across all instances (README "ERP concurrency").')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Python version of the function app.')
@allowed([
  '3.11'
  '3.12'
])
param pythonVersion string = '3.12'

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_GRS'

@description('Days logs are kept.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 90

@description('Alert when an order has been held longer than this many minutes.')
@minValue(5)
@maxValue(1440)
param heldOrderAlertMinutes int = 60

@description('Alert when a function fails more often than this within 15 minutes (0: the first failure).')
@minValue(0)
param functionFailureThreshold int = 0

@description('Put the function app into a new virtual network (subnet delegated to Microsoft.App/environments), for an ERP reached over a private network (Dynamics GP on premises). Needs the Microsoft.App resource provider.')
param vnetEnabled bool = false

@description('Address space of that virtual network (it must not overlap the merchant\'s on-premises ranges).')
param vnetAddressPrefix string = '10.60.0.0/24'

@description('The app\'s integration subnet inside it: a /26 leaves room for about 40 instance IPs.')
param appSubnetPrefix string = '10.60.0.0/26'

@description('A GatewaySubnet inside it for the merchant\'s VPN or ExpressRoute gateway (a /27 or larger, e.g. 10.60.0.224/27); empty: none (the gateway lives in a peered hub, or there is none yet).')
param gatewaySubnetPrefix string = ''

@description('A private DNS zone linked to that network for the ERP\'s host names (e.g. corp.example.com); empty: none (the names resolve publicly or through the hub\'s DNS).')
param erpPrivateDnsZone string = ''

@description('A records in that zone for the ERP server: [{name, ipv4Address}], e.g. name gp, ipv4Address 10.1.2.3.')
param erpPrivateDnsRecords array = []

@description('Optional object id of a user or group who may read and rotate the secrets (Key Vault Secrets Officer).')
param secretsOfficerPrincipalId string = ''

@description('Principal type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

// ------------------------------------------------------------------ names

// azd finds what it provisioned by azd-env-name, and the function app to deploy to by azd-service-name (functionapp.bicep).
var allTags = empty(environmentName) ? tags : union(tags, {
  'azd-env-name': environmentName
})

var token = uniqueString(subscription().id, resourceGroup().id, baseName)
var names = {
  identity: 'id-${baseName}-${token}'
  storage: take('st${replace(toLower(baseName), '-', '')}${token}', 24)
  keyVault: take('kv-${toLower(baseName)}-${token}', 24)
  workspace: 'log-${baseName}-${token}'
  appInsights: 'appi-${baseName}-${token}'
  plan: 'plan-${baseName}-${token}'
  functionApp: 'func-${baseName}-${token}'
  vnet: 'vnet-${baseName}-${token}'
}

// Queues, tables and containers of the app: keep in step with shared/storage/names.py (tests/infra check it).
// The -poison queues are created too, so that alerts, the replay tooling and `connector status` find them
// from day one (the host would otherwise create them only on the first dead letter).
var queueNames = [
  'woo-events'
  'erp-events'
]
var poisonQueueNames = [for queue in queueNames: '${queue}-poison']
var tableNames = [
  'ledger'
  'audit'
  'watermarks'
  'customers'
  'skus'
  'shipments'
  'skumap'
  'storehistory'
  'productfields'
]
var containerNames = [
  'claim-checks'
  'reports'
  'erp-slots'
]
// Flex Consumption pulls the code package from here (written by `func ... publish` / `az functionapp deploy`).
var deploymentContainerName = 'app-package'

// Key Vault secret names: one place. The function app refers to them, the vault module writes them.
// App setting -> secret name, for the app-wide secrets:
var appSecretNames = {
  BC_CLIENT_SECRET: 'bc-client-secret'
  BC_WEBHOOK_CLIENT_STATE: 'bc-webhook-client-state'
  WEBHOOK_FUNCTION_KEY: 'webhook-function-key'
}
// ...and per store (WOO_STORES__<id>__CONSUMER_KEY etc.):
var stores = [for store in wooStores: {
  id: toLower(store.id)
  url: store.url
  currency: store.currency
  erp: store.?erp ?? ''
  documentPrefix: store.?documentPrefix ?? ''
  caBundle: store.?caBundle ?? ''
  consumerKeySecret: 'woo-${toLower(store.id)}-consumer-key'
  consumerSecretSecret: 'woo-${toLower(store.id)}-consumer-secret'
  webhookSecretSecret: 'woo-${toLower(store.id)}-webhook-secret'
}]

// Secret values, empty where not given (the vault module skips those and keeps what is in the vault).
var appSecretEntries = [
  {
    name: appSecretNames.BC_CLIENT_SECRET
    value: bcClientSecret
  }
  {
    name: appSecretNames.BC_WEBHOOK_CLIENT_STATE
    value: bcWebhookClientState
  }
  {
    name: appSecretNames.WEBHOOK_FUNCTION_KEY
    value: webhookFunctionKey
  }
]
var consumerKeyEntries = [for store in stores: {
  name: store.consumerKeySecret
  value: contains(wooStoreSecrets, store.id) ? (wooStoreSecrets[store.id].?consumerKey ?? '') : ''
}]
var consumerSecretEntries = [for store in stores: {
  name: store.consumerSecretSecret
  value: contains(wooStoreSecrets, store.id) ? (wooStoreSecrets[store.id].?consumerSecret ?? '') : ''
}]
var webhookSecretEntries = [for store in stores: {
  name: store.webhookSecretSecret
  value: contains(wooStoreSecrets, store.id) ? (wooStoreSecrets[store.id].?webhookSecret ?? '') : ''
}]

// Connector settings (shared/config.py `Settings`) by app-setting name, with the code's defaults, so that the
// deployed configuration is complete and visible in the portal. Secrets are not here: they are Key Vault
// references (functionapp.bicep). tests/infra check that every setting the code reads is in the template and
// that these defaults are the code's defaults; a new setting in Settings needs a line in connector-settings.json,
// which the Terraform module reads too (one list for both).
var connectorSettingDefaults = loadJsonContent('connector-settings.json').settings
var connectorSettingsFromParameters = {
  BC_TENANT_ID: bcTenantId
  BC_ENVIRONMENT: bcEnvironment
  BC_COMPANY_ID: bcCompanyId
  BC_CLIENT_ID: bcClientId
  BC_API_URL: bcApiUrl
}
var connectorSettings = union(connectorSettingDefaults, connectorSettingsFromParameters, settingOverrides)

var erpHost = split(replace(replace(bcApiUrl, 'https://', ''), 'http://', ''), '/')[0]

// ------------------------------------------------------------------ modules

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    skuName: storageSku
    queueNames: concat(queueNames, poisonQueueNames)
    tableNames: tableNames
    containerNames: concat(containerNames, [
      deploymentContainerName
    ])
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    secretValues: {
      entries: concat(appSecretEntries, consumerKeyEntries, consumerSecretEntries, webhookSecretEntries)
    }
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: names.vnet
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    gatewaySubnetPrefix: gatewaySubnetPrefix
    erpPrivateDnsZone: erpPrivateDnsZone
    erpPrivateDnsRecords: erpPrivateDnsRecords
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
    secretsOfficerPrincipalType: secretsOfficerPrincipalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The host needs its storage roles from the first start; Key Vault references need Secrets User.
  dependsOn: [
    rbac
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    stores: stores
    secretNames: appSecretNames
    connectorSettings: connectorSettings
    pythonVersion: pythonVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''
  }
}

module operations 'modules/operations.bicep' = {
  name: 'operations'
  params: {
    location: location
    tags: allTags
    namePrefix: '${baseName}-${token}'
    workspaceId: monitoring.outputs.workspaceId
    alertEmail: alertEmail
    heldOrderAlertMinutes: heldOrderAlertMinutes
    functionFailureThreshold: functionFailureThreshold
    erpHost: erpHost
  }
}

// ------------------------------------------------------------------ outputs

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
@description('WooCommerce delivery URL per store; the code is the function key (az functionapp keys list).')
output webhookUrls array = [for store in stores: 'https://${functionApp.outputs.defaultHostName}/api/webhooks/woo/${store.id}?code=<function key>']
output keyVaultName string = keyVault.outputs.name
output storageAccountName string = storage.outputs.name
output identityClientId string = identity.outputs.clientId
output workspaceName string = monitoring.outputs.workspaceName
output appInsightsName string = monitoring.outputs.appInsightsName
@description('ERP calls in flight at most to the BC_* connection, across every instance and function (BC_MAX_CONCURRENCY, enforced by the app with blob-lease slots; other connections: ERPS__<id>__MAX_CONCURRENCY each).')
output maxConcurrentErpCalls int = int(connectorSettings.BC_MAX_CONCURRENCY)

// Read by the Azure Developer CLI (azd stores UPPER_SNAKE outputs in the environment: `azd env get-values`).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
