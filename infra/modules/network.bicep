// Optional virtual network for an ERP the internet cannot reach (Dynamics GP on premises, through a VPN or
// ExpressRoute gateway in this network or a peered hub). The Flex Consumption pattern (facts/azure-flex-infra.md
// "VNet on Flex", from the azd Flex sample's app/vnet.bicep): one subnet delegated to Microsoft.App/environments,
// used for nothing else, sized for about 40 IPs per app, no '_' in its name. DNS comes from the network
// (WEBSITE_DNS_SERVER and vnetRouteAllEnabled are not used on Flex). The Microsoft.App provider must be registered.
// Optionally: a GatewaySubnet for the merchant's VPN or ExpressRoute gateway (the gateway itself is theirs to
// create: its SKU, their on-premises device and keys), and a private DNS zone linked to the network, so the
// app resolves the GP server's host name to its private address (DNS on Flex comes from the network).

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

@description('Prefix of a GatewaySubnet for a VPN or ExpressRoute gateway (a /27 or larger); empty: none.')
param gatewaySubnetPrefix string = ''

@description('Private DNS zone for the ERP\'s host names (e.g. corp.example.com), linked to the network; empty: none.')
param erpPrivateDnsZone string = ''

@description('A records in that zone: [{name, ipv4Address}], e.g. name gp, ipv4Address 10.1.2.3.')
param erpPrivateDnsRecords array = []

var appSubnetName = 'app-integration' // Flex: no underscores in the subnet name
var appSubnet = {
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
// Azure requires this exact name for a virtual network gateway's subnet, and no NSG on it.
var gatewaySubnet = {
  name: 'GatewaySubnet'
  properties: {
    addressPrefix: gatewaySubnetPrefix
  }
}

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
    subnets: empty(gatewaySubnetPrefix) ? [appSubnet] : [appSubnet, gatewaySubnet]
  }
}

resource zone 'Microsoft.Network/privateDnsZones@2020-06-01' = if (!empty(erpPrivateDnsZone)) {
  name: empty(erpPrivateDnsZone) ? 'unused.invalid' : erpPrivateDnsZone
  location: 'global'
  tags: tags
}

resource zoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = if (!empty(erpPrivateDnsZone)) {
  parent: zone
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

var dnsRecords = empty(erpPrivateDnsZone) ? [] : erpPrivateDnsRecords

resource records 'Microsoft.Network/privateDnsZones/A@2020-06-01' = [for record in dnsRecords: {
  parent: zone
  name: record.name
  properties: {
    ttl: 300
    aRecords: [
      {
        ipv4Address: record.ipv4Address
      }
    ]
  }
}]

output id string = vnet.id
output appSubnetId string = '${vnet.id}/subnets/${appSubnetName}'
