terraform {
  required_providers {
    mrs = {
      source = "huaweicloud/mrs"
    }
  }
}

# Credentials usually come from the environment (HW_ACCESS_KEY, HW_SECRET_KEY,
# HW_REGION_NAME, ...), so nothing secret is written into the configuration.
provider "mrs" {
  region = "cn-north-4"
  # project_id is looked up through IAM for the region when left out.
  # project_id = "0a1b2c3d4e5f40aa8f0e1d2c3b4a5968"
}
