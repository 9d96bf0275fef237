// Optional virtual network for an ERP the internet cannot reach (Dynamics GP on premises, through a VPN or
// ExpressRoute gateway in this network or a peered hub). The Flex Consumption pattern (facts/azure-flex-infra.md
// "VNet on Flex", from the azd Flex sample's app/vnet.bicep): one subnet delegated to Microsoft.App/environments,
// used for nothing else, sized for about 40 IPs per app, no '_' in its name. DNS comes from the network
// (WEBSITE_DNS_SERVER and vnetRouteAllEnabled are not used on Flex). The Microsoft.App provider must be registered.

@description('Virtual network name.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Address space of the network.')
param addressPrefix string = '10.60.0.0/24'

@description('Prefix of the app\'s integration subnet: a /26 leaves room for about 40 instance IPs.')
param appSubnetPrefix string = '10.60.0.0/26'

var appSubnetName = 'app-integration' // Flex: no underscores in the subnet name

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          privateEndpointNetworkPolicies: 'Disabled'
          privateLinkServiceNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

output id string = vnet.id
output appSubnetId string = '${vnet.id}/subnets/${appSubnetName}'
