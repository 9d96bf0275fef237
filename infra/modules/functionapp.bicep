// The function app: Flex Consumption (FC1, Linux), Python, running as the user-assigned identity.
// Every secret app setting is a Key Vault reference; storage and telemetry use the identity, never keys.

@description('Function app name (also the *.azurewebsites.net host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Blob endpoint of the storage account (ends with a slash).')
param blobEndpoint string

@description('Queue endpoint of the storage account (ends with a slash).')
param queueEndpoint string

@description('Table endpoint of the storage account (ends with a slash).')
param tableEndpoint string

@description('Blob container the Flex Consumption platform deploys the code package to.')
param deploymentContainerName string

@description('Application Insights connection string (not a secret: ingestion needs an Entra ID token).')
param appInsightsConnectionString string

@description('Key Vault URI, ending with a slash.')
param keyVaultUri string

@description('WooCommerce stores: [ { id, url, currency, erp, documentPrefix, consumerKeySecret, consumerSecretSecret, webhookSecretSecret } ] (the *Secret fields are Key Vault secret names).')
param stores array

@description('App-wide secrets: { <app setting name>: <Key Vault secret name> }.')
param secretNames object

@description('The connector\'s non-secret settings by app-setting name (main.bicep connectorSettings).')
param connectorSettings object

@description('Python version of the Flex Consumption runtime.')
@allowed([
  '3.11'
  '3.12'
])
param pythonVersion string = '3.12'

// The instance cap applies per function scale group (each queue function and each timer scales on its own), so it
// cannot bound the calls the ERP sees; the app does that itself with blob-lease slots shared by every instance
// (BC_MAX_CONCURRENCY, shared/storage/erp_slots.py). 40 is the lowest value all Flex documents accept.
@description('Maximum instances per function scale group. Not an ERP limit (BC_MAX_CONCURRENCY is).')
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

@description('Subnet (delegated to Microsoft.App/environments) the app joins for outbound traffic to a private ERP; empty: no virtual network.')
param appSubnetId string = ''

// The webhook functions do no ERP work (verify, enqueue, answer), so HTTP may run more at once.
@description('Concurrent HTTP requests per instance (webhooks only verify and enqueue).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy is a merchant choice (it is not offered for Flex Consumption in every region); the connector's durability comes from the geo-redundant queues and ledger, so a zone outage delays processing but loses nothing.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

// Identity-based host storage (facts/azure-functions.md §5.2): no connection string, no account key.
var hostSettings = [
  {
    name: 'AzureWebJobsStorage__blobServiceUri'
    value: blobEndpoint
  }
  {
    name: 'AzureWebJobsStorage__queueServiceUri'
    value: queueEndpoint
  }
  {
    name: 'AzureWebJobsStorage__tableServiceUri'
    value: tableEndpoint
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  {
    // DefaultAzureCredential / ManagedIdentityCredential in the app pick the user-assigned identity by this.
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsightsConnectionString
  }
  {
    // Entra ID ingestion with the user-assigned identity; read by the host and by the Python exporter.
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
  {
    // With host.json "telemetryMode": "OpenTelemetry" (the documented pairing, opentelemetry-howto), the Python
    // worker configures the Azure Monitor OpenTelemetry distro itself (needs azure-monitor-opentelemetry).
    name: 'PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY'
    value: 'true'
  }
]

// The connector's own settings (shared/config.py `Settings`), as given by main.bicep.
var connectorSettingList = [for setting in items(connectorSettings): {
  name: setting.key
  value: string(setting.value)
}]

// Secrets are versionless Key Vault references: a new secret version is picked up within 24 h, or at once on
// a restart or any configuration change. The app also stops at start-up if a reference stayed unresolved.
var secretSettings = [for secret in items(secretNames): {
  name: secret.key
  value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secret.value}/)'
}]

// Settings only this template knows.
var derivedSettings = [
  {
    // The app's own address, for the webhooks (WooCommerce, BC subscriptions) it registers.
    name: 'PUBLIC_BASE_URL'
    value: 'https://${name}.azurewebsites.net'
  }
]

// WOO_STORES__<store id>__<FIELD>, one group per store.
var storeSettingsPerStore = [for store in stores: [
  {
    name: 'WOO_STORES__${store.id}__URL'
    value: store.url
  }
  {
    name: 'WOO_STORES__${store.id}__CURRENCY'
    value: store.currency
  }
  {
    name: 'WOO_STORES__${store.id}__ERP'
    value: store.erp
  }
  {
    name: 'WOO_STORES__${store.id}__DOCUMENT_PREFIX'
    value: store.documentPrefix
  }
  {
    name: 'WOO_STORES__${store.id}__CA_BUNDLE'
    value: store.caBundle
  }
  {
    name: 'WOO_STORES__${store.id}__CONSUMER_KEY'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${store.consumerKeySecret}/)'
  }
  {
    name: 'WOO_STORES__${store.id}__CONSUMER_SECRET'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${store.consumerSecretSecret}/)'
  }
  {
    name: 'WOO_STORES__${store.id}__WEBHOOK_SECRET'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${store.webhookSecretSecret}/)'
  }
]]

var appSettings = concat(hostSettings, connectorSettingList, derivedSettings, secretSettings, flatten(storeSettingsPerStore))

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: WooCommerce delivers webhooks from the internet, so the app must be publicly reachable; requests are authenticated by function key and HMAC signature.
  // checkov:skip=CKV_AZURE_17: Client certificates cannot be sent by WooCommerce webhooks; the function key plus the HMAC signature over the raw body authenticate callers.
  // checkov:skip=CKV_AZURE_78: FTP is off through the ftp basicPublishingCredentialsPolicies below (allow false); siteConfig.ftpsState, which this check reads, is rejected on Flex Consumption (ARM error 51021).
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand (siteConfig.numberOfWorkers does not apply to it).
  // checkov:skip=CKV_AZURE_213: No health-check path: the platform-probe feature is for App Service plans with fixed instances; on a scale-to-zero plan a probe would only keep an instance billed. Liveness is watched by the function-failure and poison alerts.
  name: name
  location: location
  // azd deploys the service `api` (azure.yaml) to the site with this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references resolve with the user-assigned identity (the default would be a system-assigned one).
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(appSubnetId) ? null : appSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// No FTP and no basic-auth (publishing profile) deployments: code is published with Entra ID (az / func / OIDC).
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
