// Every role the app's identity holds, each on the narrowest scope that works, and nothing else.
// Role definition ids: facts/azure-functions.md §6.2. Assignment names are guid(scope, principal, role),
// so re-deploying is idempotent and two deployments never collide.
// Deploying this module needs Owner or User Access Administrator on the resource group.

@description('Principal (object) id of the user-assigned identity the function app runs as.')
param principalId string

@description('Storage account holding the host data, queues, tables and blobs.')
param storageAccountName string

@description('Key Vault holding the app secrets.')
param keyVaultName string

@description('Application Insights component the app sends telemetry to.')
param appInsightsName string

@description('Optional: object id of a person or group who may read and rotate the secrets (Key Vault Secrets Officer). Empty: nobody gets it from this template.')
param secretsOfficerPrincipalId string = ''

@description('Principal type of secretsOfficerPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

var roles = {
  // Host storage (keys, timer status, singleton locks), the Flex deployment package, claim-check and report blobs.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Queue trigger and output; the host may also (re)create -poison queues, so Contributor rather than Processor/Sender.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Ledger, audit, watermarks, customers, skus.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Key Vault references and the app's own fallback resolution (shared/config.py).
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Entra ID-authenticated telemetry ingestion (Application Insights local auth is disabled).
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Not for the app: the optional human/group who rotates secrets.
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}
