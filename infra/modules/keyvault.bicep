// Key Vault for every secret the app reads (Woo consumer key/secret, webhook secret, ERP client secret).
// RBAC mode (no access policies): the app's identity gets "Key Vault Secrets User" in rbac.bicep and the
// function app reads the secrets through Key Vault references, never as plain app settings.

@description('Globally unique Key Vault name (3-24 letters, digits and dashes).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Days a deleted vault or secret can be recovered (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Secrets to write, as { entries: [ { name, value } ] } (an object so that it can be @secure). An entry whose value is empty is skipped, so a re-deployment without secret values leaves the secrets already in the vault (e.g. rotated ones) untouched.')
@secure()
param secretValues object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: The function app resolves Key Vault references over the public endpoint (App Service is not a "trusted service" for the Key Vault firewall); restricting the network needs VNet integration + a private endpoint, which merchants can add. Access is RBAC-only.
  // checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109: public network access is needed without VNet integration.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true // cannot be turned off again; a deleted vault's name stays reserved for the retention period
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in filter(secretValues.entries, entry => !empty(entry.value)): {
  // checkov:skip=CKV_AZURE_41: No expiry date: an expired secret makes the Key Vault reference fail and stops order processing. Rotation is an operator task (infra/README.md "Rotating secrets"); the credentials' real expiry lives in WooCommerce and Entra ID.
  parent: vault
  name: secret.name
  properties: {
    value: secret.value
    contentType: 'text/plain'
  }
}]

output id string = vault.id
output name string = vault.name
@description('Ends with a slash, e.g. https://kv-x.vault.azure.net/')
output uri string = vault.properties.vaultUri
