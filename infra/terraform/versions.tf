# The connector's Azure resources as a Terraform module, equal to ../main.bicep (tests/infra/test_terraform.py keeps
# the two in step). Pinned versions: a provider upgrade is a reviewed change.
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "= 4.55.0"
    }
    # Only for the two site properties azurerm's Flex Consumption resource does not expose (functionapp.tf):
    # keyVaultReferenceIdentity (hashicorp/terraform-provider-azurerm#28928) and the FTP publishing policy.
    random = {
      source  = "hashicorp/random"
      version = "= 3.7.2"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "= 2.5.0"
    }
  }
}
