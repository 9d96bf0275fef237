"""Minimal valid app settings for tests that import function_app (it checks settings at start-up)."""

APP_SETTINGS = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "WOO_STORES__main__URL": "https://shop.example.com/",
    "WOO_STORES__main__CONSUMER_KEY": "ck_test",
    "WOO_STORES__main__CONSUMER_SECRET": "cs_test",
    "WOO_STORES__main__WEBHOOK_SECRET": "whsec-test",
    "BC_TENANT_ID": "tenant",
    "BC_COMPANY_ID": "11111111-2222-3333-4444-555555555555",
    "BC_CLIENT_ID": "client",
    "BC_CLIENT_SECRET": "secret",
}
