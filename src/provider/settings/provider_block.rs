//! The provider block's own settings, one row each: the table the schema, the environment
//! fallback and the typed [`ProviderBlock`] come from. A new setting is a row here (and its
//! line in `docs/index.md`, which a test holds to this table).

use crate::framework::duration::validate_duration;
use crate::provider::validators::{
    validate_ca_cert_file, validate_cloud, validate_credential, validate_endpoint, validate_id,
    validate_region, validate_signing_algorithm,
};

use super::row::{Check, Flag, Text, Whole};
use super::table::settings_table;

settings_table! {
    /// The provider block's values, each from the block or its environment variable.
    pub(super) struct ProviderBlock {
        region: Text {
            env: Some("HW_REGION_NAME"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_region),
            group: None,
            plain: "Region of the MRS service, e.g. cn-north-4.",
            markdown: "Region of the MRS service, e.g. `cn-north-4`.",
        },
        project_id: Text {
            env: Some("HW_PROJECT_ID"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_id),
            group: None,
            plain: "Project ID; looked up through IAM for the region when absent.",
            markdown: "Project ID. When absent it is looked up once through IAM (`GET /v3/projects?name={region}`).",
        },
        access_key: Text {
            env: Some("HW_ACCESS_KEY"),
            sensitive: true,
            required: false,
            check: Check::Text(validate_credential),
            group: None,
            plain: "Access key (AK).",
            markdown: "Access key (AK) for AK/SK signing.",
        },
        secret_key: Text {
            env: Some("HW_SECRET_KEY"),
            sensitive: true,
            required: false,
            check: Check::Text(validate_credential),
            group: None,
            plain: "Secret key (SK).",
            markdown: "Secret key (SK) for AK/SK signing.",
        },
        security_token: Text {
            env: Some("HW_SECURITY_TOKEN"),
            sensitive: true,
            required: false,
            check: Check::Text(validate_credential),
            group: None,
            plain: "Security token of temporary credentials.",
            markdown: "Security token of temporary AK/SK credentials, sent as `X-Security-Token`.",
        },
        auth_token: Text {
            env: Some("HW_AUTH_TOKEN"),
            sensitive: true,
            required: false,
            check: Check::Text(validate_credential),
            group: None,
            plain: "IAM token, used instead of AK/SK.",
            markdown: "IAM token, sent as `X-Auth-Token` instead of AK/SK signing.",
        },
        shared_config_file: Text {
            env: Some("HW_SHARED_CONFIG_FILE"),
            sensitive: false,
            required: false,
            check: Check::None,
            group: None,
            plain: "Path of KooCLI's shared config file; default ~/.hcloud/config.json when profile is set.",
            markdown: "Path of KooCLI's shared config file (`hcloud configure`). Read when this or `profile` is set; default `~/.hcloud/config.json`. Its keys take the place of `access_key`/`secret_key`.",
        },
        profile: Text {
            env: Some("HW_PROFILE"),
            sensitive: false,
            required: false,
            check: Check::None,
            group: None,
            plain: "Profile of the shared config file; default its current profile.",
            markdown: "Profile of the shared config file to sign with; default the file's `current` profile. The profile's `region` and `projectId` apply when the provider block sets none.",
        },
        endpoint: Text {
            env: Some("HW_MRS_ENDPOINT"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_endpoint),
            group: None,
            plain: "MRS endpoint URL override.",
            markdown: "MRS endpoint URL; overrides the region's (the official SDK's table, e.g. `https://mrs.eu-west-101.myhuaweicloud.eu`). `http://` is accepted for a local emulator. With it set, resources cannot pick another `region`.",
        },
        iam_endpoint: Text {
            env: Some("HW_IAM_ENDPOINT"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_endpoint),
            group: None,
            plain: "IAM endpoint URL override.",
            markdown: "IAM endpoint URL; overrides the region's (the official SDK's table).",
        },
        sts_endpoint: Text {
            env: Some("HW_STS_ENDPOINT"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_endpoint),
            group: None,
            plain: "STS endpoint URL override.",
            markdown: "STS endpoint URL, for agencies named by `domain_id` (`POST /v5/agencies/assume`); overrides the region's, `https://sts.{region}.{cloud}` on IAM's domain suffix. When only `iam_endpoint` is set, STS calls go there too.",
        },
        signing_algorithm: Text {
            env: Some("HW_SIGNING_ALGORITHM"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_signing_algorithm),
            group: None,
            plain: "How AK/SK requests are signed: HmacSHA256 (default) or HmacSM3.",
            markdown: "How AK/SK requests are signed: `HmacSHA256` (`SDK-HMAC-SHA256`, the default) or `HmacSM3` (`SDK-HMAC-SM3`, the Chinese national standard hash, for regulated accounts). The huaweicloud provider's `EcdsaP256SHA256` and `SM2SM3` are not supported yet and are refused.",
        },
        cloud: Text {
            env: Some("HW_CLOUD"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_cloud),
            group: None,
            plain: "Domain suffix of the endpoints; default: per region, from the official SDK.",
            markdown: "Domain suffix of the endpoints. When set, every endpoint is `https://{service}.{region}.{cloud}`; when not, each region's endpoints come from the official SDK's tables (`myhuaweicloud.com` for most, `myhuaweicloud.eu` for `eu-west-101`, `myhuaweicloud.cn` for MRS in `ap-southeast-1`, `ap-southeast-4` and `ru-northwest-2`).",
        },
        insecure: Flag {
            env: Some("HW_INSECURE"),
            sensitive: false,
            required: false,
            check: Check::None,
            group: None,
            plain: "Skip TLS certificate verification.",
            markdown: "Skip TLS certificate verification (private clouds with self-signed certificates only). The environment variable takes `true`/`false`, `1`/`0`, `t`/`f`, `TRUE`/`FALSE` or `True`/`False`; anything else is an error.",
        },
        ca_cert_file: Text {
            env: Some("HW_CA_CERT_FILE"),
            sensitive: false,
            required: false,
            check: Check::File {
                check: validate_ca_cert_file,
                summary: "Unusable CA certificate file",
            },
            group: None,
            plain: "PEM file of CA certificates to trust in addition to the system's.",
            markdown: "Path of a PEM file with CA certificates to trust *in addition to* the system's roots (which honour `SSL_CERT_FILE` and `SSL_CERT_DIR`). A missing file, or one without a certificate, is an error at plan.",
        },
        max_retries: Whole {
            env: Some("HW_MAX_RETRIES"),
            sensitive: false,
            required: false,
            // More would hold an apply for many minutes.
            check: Check::Whole { min: 0, max: 20 },
            group: None,
            plain: "Retries for throttled or failed requests; default 5.",
            markdown: "How many times a throttled (429) or failed (5xx, connection error, timeout) request is retried; default `5`.",
        },
        request_timeout: Text {
            env: None,
            sensitive: false,
            required: false,
            check: Check::Text(validate_duration),
            group: None,
            plain: "Timeout of one HTTP request, e.g. 30s; default 30s.",
            markdown: "Timeout of one HTTP request as a duration string, e.g. `\"30s\"`; default `\"30s\"`.",
        },
    }
}
