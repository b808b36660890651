//! The provider block read with the environment: each test builds its case with [`case`].

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::framework::Config;
use crate::mrs::credentials::{AgencyDomain, DEFAULT_ASSUME_ROLE_DURATION_S, IdToken};
use crate::provider::validators::validate_agency_field;
use crate::tfvalue::Value;

/// A provider block and an environment, built up one setting at a time.
#[derive(Default, Clone)]
struct Case {
    attributes: Vec<(String, Value)>,
    vars: Vec<(String, String)>,
}

fn case() -> Case {
    Case::default()
}

/// One `assume_role` or `assume_role_with_oidc` block's attributes (the rest null).
fn block(schema: &Schema, pairs: &[(&str, Value)]) -> Value {
    let mut attributes: BTreeMap<String, Value> = schema
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .collect();
    for (name, value) in pairs {
        attributes.insert((*name).to_owned(), value.clone());
    }
    Value::Object(attributes)
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn number(value: i64) -> Value {
    Value::Number(value.into())
}

impl Case {
    /// Sets an attribute of the block.
    fn set(mut self, name: &str, value: Value) -> Self {
        self.attributes.push((name.to_owned(), value));
        self
    }

    /// `region = "r"`.
    fn region(self) -> Self {
        self.set("region", text("r"))
    }

    /// Sets an environment variable.
    fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `HW_ACCESS_KEY=AK`, `HW_SECRET_KEY=SK`.
    fn keys(self) -> Self {
        self.var("HW_ACCESS_KEY", "AK").var("HW_SECRET_KEY", "SK")
    }

    /// The four `HW_ASSUME_ROLE_*` variables of a complete keyless sign-in.
    fn oidc_env(self) -> Self {
        self.var("HW_ASSUME_ROLE_IDP_ID", "github-actions")
            .var("HW_ASSUME_ROLE_ID_TOKEN", "eyJ.header.payload")
            .var("HW_ASSUME_ROLE_AGENCY_NAME", "ci_deployer")
            .var("HW_ASSUME_ROLE_DOMAIN_ID", "d0123")
    }

    /// `assume_role` blocks, in order.
    fn assume_roles(self, blocks: &[&[(&str, Value)]]) -> Self {
        let schema = assume_role_block::schema();
        let list = blocks.iter().map(|pairs| block(&schema, pairs)).collect();
        self.set("assume_role", Value::List(list))
    }

    fn config(&self) -> Config {
        let mut attributes: BTreeMap<String, Value> = schema()
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for (name, value) in &self.attributes {
            attributes.insert(name.clone(), value.clone());
        }
        Config::new(Value::Object(attributes))
    }

    fn resolve_into(&self, diags: &mut Diagnostics) -> Option<Settings> {
        let vars: HashMap<String, String> = self.vars.iter().cloned().collect();
        resolve(&self.config(), |name| vars.get(name).cloned(), diags)
    }

    /// The settings, and every diagnostic.
    fn resolve(&self) -> (Option<Settings>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let settings = self.resolve_into(&mut diags);
        (settings, diags)
    }

    /// The settings, which must come without a diagnostic.
    fn settings(&self) -> Settings {
        let (settings, diags) = self.resolve();
        assert!(diags.is_empty(), "{diags:?}");
        settings.expect("settings")
    }

    /// The errors of a case that must fail.
    fn errors(&self) -> Vec<crate::framework::Diagnostic> {
        let (settings, diags) = self.resolve();
        assert!(settings.is_none(), "expected no settings");
        diags.iter().cloned().collect()
    }

    /// The errors of validating the block alone.
    fn validate(&self) -> Vec<crate::framework::Diagnostic> {
        let mut diags = Diagnostics::new();
        validate(&self.config(), &mut diags);
        diags.iter().cloned().collect()
    }
}

fn aksk_of(settings: &Settings) -> (String, Option<String>) {
    match settings.client_config().credentials {
        Credentials::AkSk {
            access_key,
            security_token,
            ..
        } => (access_key, security_token),
        other => panic!("expected AK/SK, got {other:?}"),
    }
}

fn temporary(settings: &Settings) -> &TemporarySource {
    settings.temporary.as_ref().expect("temporary credentials")
}

#[test]
fn environment_fills_what_the_block_leaves_out() {
    let settings = case()
        .set("region", text("cn-north-4"))
        .keys()
        .var("HW_MAX_RETRIES", "2")
        .var("HW_MRS_ENDPOINT", "http://127.0.0.1:1")
        .settings();
    let c = settings.client_config();
    assert_eq!(c.region, "cn-north-4");
    assert_eq!(c.max_retries, 2);
    assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:1"));
    assert!(
        matches!(c.credentials, Credentials::AkSk { ref access_key, .. } if access_key == "AK")
    );
    assert!(
        !settings.endpoint_from_block(),
        "the endpoint came from HW_MRS_ENDPOINT"
    );
}

#[test]
fn what_the_block_leaves_out_keeps_the_clients_defaults() {
    let c = case().region().keys().settings().client_config();
    let defaults = ClientConfig::new("r", Credentials::Token(String::new()));
    assert_eq!(c.max_retries, defaults.max_retries);
    assert_eq!(c.request_timeout, defaults.request_timeout);
    assert!(!c.insecure);
    let c = case()
        .region()
        .keys()
        .set("max_retries", number(0))
        .set("request_timeout", text("5s"))
        .set("endpoint", text("http://127.0.0.1:2"))
        .settings();
    assert!(c.endpoint_from_block());
    let c = c.client_config();
    assert_eq!(c.max_retries, 0);
    assert_eq!(c.request_timeout, std::time::Duration::from_secs(5));
}

#[test]
fn half_credentials_give_one_diagnostic_naming_attributes_and_variables() {
    let errors = case()
        .set("region", text("cn-north-4"))
        .set("access_key", text("AK"))
        .errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    for word in ["access_key", "secret_key", "HW_ACCESS_KEY", "HW_SECRET_KEY"] {
        assert!(
            errors[0].detail.contains(word),
            "{word} missing from {:?}",
            errors[0].detail
        );
    }
}

#[test]
fn unknown_values_defer_without_diagnostics() {
    let (settings, diags) = case().set("region", Value::Unknown).resolve();
    assert!(settings.is_none());
    assert!(diags.is_empty());
}

#[test]
fn missing_region_names_the_variable() {
    let errors = case().var("HW_AUTH_TOKEN", "t").errors();
    assert!(errors.iter().any(|d| d.detail.contains("HW_REGION_NAME")));
}

#[test]
fn ca_cert_file_missing_or_without_certificate_is_an_error_on_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&empty, &missing] {
        let shown = path.display().to_string();
        let errors = case().set("ca_cert_file", text(&shown)).validate();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::attr("ca_cert_file"))
        );
        assert_eq!(errors[0].summary, "Unusable CA certificate file");
        assert!(errors[0].detail.contains(&shown));
        // From the environment: the same check, naming the variable.
        let errors = case()
            .region()
            .keys()
            .var("HW_CA_CERT_FILE", &shown)
            .errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::attr("ca_cert_file"))
        );
        assert!(
            errors[0].detail.contains("HW_CA_CERT_FILE"),
            "{}",
            errors[0].detail
        );
    }
    let good = dir.path().join("ca.pem");
    let ca = rcgen::generate_simple_self_signed(vec!["ca.example".to_owned()]).unwrap();
    std::fs::write(&good, ca.cert.pem()).unwrap();
    assert!(
        case()
            .set("ca_cert_file", text(&good.display().to_string()))
            .validate()
            .is_empty()
    );
}

#[test]
fn the_first_configured_source_wins_a_token_over_keys_and_a_security_token() {
    let settings = case()
        .region()
        .var("HW_AUTH_TOKEN", "t")
        .keys()
        .var("HW_SECURITY_TOKEN", "s")
        .settings();
    assert!(matches!(settings.client_config().credentials, Credentials::Token(ref t) if t == "t"));
    assert!(settings.temporary.is_none());
}

#[test]
fn oidc_from_the_environment_wins_over_keys_and_owns_the_agency_variables() {
    let settings = case().region().oidc_env().keys().settings();
    let source = temporary(&settings);
    let Base::Oidc(role) = &source.base else {
        panic!("expected OIDC, got {source:?}");
    };
    assert_eq!(role.idp_id, "github-actions");
    assert_eq!(role.id_token, IdToken::Inline("eyJ.header.payload".into()));
    assert_eq!(role.agency.domain, AgencyDomain::Id("d0123".into()));
    assert!(
        source.chain.is_empty(),
        "HW_ASSUME_ROLE_AGENCY_NAME is the OIDC agency, not a second one"
    );
    // Debug output of the whole settings never shows the token.
    assert!(!format!("{settings:?}").contains("eyJ.header.payload"));
}

#[test]
fn oidc_needs_exactly_one_token_and_its_agency() {
    let errors = case()
        .region()
        .oidc_env()
        .var("HW_ASSUME_ROLE_ID_TOKEN_FILE", "/tmp/token")
        .errors();
    assert!(
        errors
            .iter()
            .any(|d| d.summary == "Conflicting id_token and id_token_file"),
        "{errors:?}"
    );
    let errors = case()
        .region()
        .var("HW_ASSUME_ROLE_IDP_ID", "idp")
        .var("HW_ASSUME_ROLE_ID_TOKEN", "tok")
        .errors();
    let details: Vec<_> = errors.iter().map(|d| d.detail.clone()).collect();
    for variable in ["HW_ASSUME_ROLE_AGENCY_NAME", "HW_ASSUME_ROLE_DOMAIN_ID"] {
        assert!(details.iter().any(|d| d.contains(variable)), "{details:?}");
    }
}

#[test]
fn an_oidc_block_is_read_like_the_environment_and_its_errors_land_inside_it() {
    let schema = oidc_block::schema();
    let complete = block(
        &schema,
        &[
            ("idp_id", text("idp")),
            ("id_token_file", text("/run/token")),
            ("agency_name", text("ci")),
            ("domain_id", text("d1")),
            ("duration", number(900)),
        ],
    );
    let settings = case()
        .region()
        .set("assume_role_with_oidc", complete)
        .settings();
    let Base::Oidc(role) = &temporary(&settings).base else {
        panic!("expected OIDC");
    };
    assert_eq!(role.id_token, IdToken::File("/run/token".into()));
    assert_eq!(role.agency.duration_s, 900);
    // The block names the file: HW_ASSUME_ROLE_ID_TOKEN is the same setting, not a second one.
    let settings = case()
        .region()
        .set(
            "assume_role_with_oidc",
            block(
                &schema,
                &[
                    ("idp_id", text("idp")),
                    ("id_token_file", text("/run/token")),
                    ("agency_name", text("ci")),
                    ("domain_id", text("d1")),
                ],
            ),
        )
        .var("HW_ASSUME_ROLE_ID_TOKEN", "from-env")
        .settings();
    assert!(
        matches!(&temporary(&settings).base, Base::Oidc(role) if role.id_token == IdToken::File("/run/token".into()))
    );
    let errors = case()
        .region()
        .set(
            "assume_role_with_oidc",
            block(&schema, &[("idp_id", text("idp"))]),
        )
        .errors();
    let inside = AttributePath::attr("assume_role_with_oidc");
    let paths: Vec<_> = errors.iter().filter_map(|d| d.attribute.clone()).collect();
    for field in ["id_token", "agency_name", "domain_id"] {
        assert!(
            paths.contains(&inside.push_attr(field)),
            "{field}: {paths:?}"
        );
    }
}

#[test]
fn assume_role_blocks_chain_in_order_each_by_its_own_route() {
    let settings = case()
        .region()
        .keys()
        .assume_roles(&[
            &[
                ("agency_name", text("hop1")),
                ("domain_name", text("middle")),
            ],
            &[("agency_name", text("hop2")), ("domain_id", text("d2"))],
        ])
        .settings();
    let chain = &temporary(&settings).chain;
    let names: Vec<_> = chain.iter().map(|l| l.role.agency_name.as_str()).collect();
    assert_eq!(names, ["hop1", "hop2"]);
    assert_eq!(chain[1].role.domain, AgencyDomain::Id("d2".into()));
    assert_eq!(
        chain[1].at,
        AttributePath::attr("assume_role").push_index(1)
    );
}

#[test]
fn domain_name_and_domain_id_together_are_refused() {
    let errors = case()
        .assume_roles(&[&[
            ("agency_name", text("ops")),
            ("domain_name", text("owner")),
            ("domain_id", text("d1")),
        ]])
        .validate();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].summary, "Conflicting domain_name and domain_id");
    // In the environment too.
    let errors = case()
        .region()
        .keys()
        .var("HW_ASSUME_ROLE_AGENCY_NAME", "ops")
        .var("HW_ASSUME_ROLE_DOMAIN_NAME", "owner")
        .var("HW_ASSUME_ROLE_DOMAIN_ID", "d1")
        .errors();
    assert!(
        errors
            .iter()
            .any(|d| d.detail.contains("HW_ASSUME_ROLE_DOMAIN_ID")),
        "{errors:?}"
    );
}

#[test]
fn agency_fields_are_bounded_and_free_of_control_characters() {
    let huge = "a".repeat(1024 * 1024);
    for bad in ["ops\0x", "ops\nx", huge.as_str(), "", " ops"] {
        assert!(validate_agency_field(bad).is_err(), "{:?}", bad.get(..10));
    }
    assert!(validate_agency_field("mrs_ops-1").is_ok());
    let errors = case()
        .region()
        .keys()
        .var("HW_ASSUME_ROLE_AGENCY_NAME", "ops\nx")
        .var("HW_ASSUME_ROLE_DOMAIN_NAME", "owner")
        .errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].summary.contains("HW_ASSUME_ROLE_AGENCY_NAME"));
}

#[test]
fn environment_values_are_checked_like_attributes_and_name_the_variable() {
    let cases = [
        ("HW_REGION_NAME", "cn north 4", "region"),
        ("HW_PROJECT_ID", "../x", "project_id"),
        ("HW_ACCESS_KEY", "AK\nX", "access_key"),
        ("HW_CLOUD", "my cloud", "cloud"),
        ("HW_STS_ENDPOINT", "sts.example.com", "sts_endpoint"),
        ("HW_SIGNING_ALGORITHM", "SM2SM3", "signing_algorithm"),
        ("HW_INSECURE", "maybe", "insecure"),
        ("HW_MAX_RETRIES", "many", "max_retries"),
        ("HW_MAX_RETRIES", "21", "max_retries"),
    ];
    for (variable, value, attribute) in cases {
        let mut base = case().var("HW_REGION_NAME", "cn-north-4").keys();
        base.vars.retain(|(k, _)| k != variable);
        let errors = base.var(variable, value).errors();
        assert_eq!(errors.len(), 1, "{variable}: {errors:?}");
        assert!(errors[0].summary.contains(variable), "{errors:?}");
        assert_eq!(errors[0].attribute, Some(AttributePath::attr(attribute)));
        if variable == "HW_ACCESS_KEY" {
            assert!(!errors[0].detail.contains("AK\nX"));
        }
    }
    for (value, expected) in [("True", true), ("0", false), ("", false), ("  ", false)] {
        let settings = case()
            .region()
            .var("HW_AUTH_TOKEN", "t")
            .var("HW_INSECURE", value)
            .settings();
        assert_eq!(settings.client_config().insecure, expected, "{value:?}");
    }
}

#[test]
fn signing_algorithm_hmac_sm3_reaches_the_client_and_ecdsa_is_refused_clearly() {
    let settings = case()
        .region()
        .set("signing_algorithm", text("HmacSM3"))
        .keys()
        .settings();
    assert_eq!(
        settings.client_config().signing_algorithm,
        crate::mrs::config::SigningAlgorithm::HmacSm3
    );
    let err =
        crate::provider::validators::validate_signing_algorithm("EcdsaP256SHA256").unwrap_err();
    assert!(err.contains("not supported yet"), "{err}");
}

fn write_shared_config(dir: &std::path::Path) -> String {
    let path = dir.join("config.json");
    std::fs::write(
        &path,
        r#"{"current": "ci", "profiles": [
            {"name": "ci", "mode": "AKSK", "accessKeyId": "AKPROFILE", "secretAccessKey": "skprofile",
             "securityToken": "tokprofile", "region": "ap-southeast-3", "projectId": "projectfromprofile"},
            {"name": "nokeys", "mode": "AKSK"}
        ]}"#,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_profile_takes_the_place_of_keys_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_shared_config(dir.path());
    let settings = case()
        .set("shared_config_file", text(&file))
        .var("HW_ACCESS_KEY", "AKENV")
        .var("HW_SECRET_KEY", "SKENV")
        .settings();
    // No profile named: the file's current one, with its security token.
    assert_eq!(
        aksk_of(&settings),
        ("AKPROFILE".into(), Some("tokprofile".into()))
    );
    let c = settings.client_config();
    assert_eq!(
        c.region, "ap-southeast-3",
        "profile region used when the block has none"
    );
    assert_eq!(c.project_id.as_deref(), Some("projectfromprofile"));
}

#[test]
fn the_block_region_and_project_win_over_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_shared_config(dir.path());
    let settings = case()
        .set("region", text("cn-north-4"))
        .set("profile", text("ci"))
        .var("HW_SHARED_CONFIG_FILE", &file)
        .var("HW_PROJECT_ID", "projectfromenv")
        .settings();
    let c = settings.client_config();
    assert_eq!(c.region, "cn-north-4");
    assert_eq!(c.project_id.as_deref(), Some("projectfromenv"));
}

#[test]
fn the_auth_token_comes_before_a_profile_and_keys_before_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_shared_config(dir.path());
    let settings = case()
        .region()
        .var("HW_AUTH_TOKEN", "tok")
        .var("HW_SHARED_CONFIG_FILE", &file)
        .settings();
    assert!(
        matches!(settings.client_config().credentials, Credentials::Token(ref t) if t == "tok")
    );
    assert!(settings.temporary.is_none());

    let settings = case().region().keys().settings();
    assert_eq!(aksk_of(&settings), ("AK".into(), None));
    assert!(
        settings.temporary.is_none(),
        "keys present: no metadata lookup"
    );

    let settings = case()
        .region()
        .var("HW_METADATA_ENDPOINT", "http://127.0.0.1:9")
        .settings();
    let source = temporary(&settings);
    let Base::Metadata { endpoint } = &source.base else {
        panic!("expected the metadata fallback, got {source:?}");
    };
    assert_eq!(endpoint.as_str(), "http://127.0.0.1:9/");
    assert!(
        source.looked_at.contains("HW_ACCESS_KEY"),
        "{}",
        source.looked_at
    );
}

#[test]
fn shared_config_problems_are_errors_on_the_attribute_that_led_there() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_shared_config(dir.path());
    let cases = [
        (
            case().set("shared_config_file", text("/nonexistent/hcloud.json")),
            "shared_config_file",
            "/nonexistent/hcloud.json",
        ),
        (
            case()
                .set("shared_config_file", text(&file))
                .set("profile", text("prod")),
            "profile",
            "\"prod\"",
        ),
        (
            case()
                .set("shared_config_file", text(&file))
                .set("profile", text("nokeys")),
            "profile",
            "accessKeyId/secretAccessKey",
        ),
    ];
    for (settings, attribute, word) in cases {
        let errors = settings.region().errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].attribute, Some(AttributePath::attr(attribute)));
        assert!(errors[0].detail.contains(word), "{}", errors[0].detail);
    }
}

#[test]
fn profile_alone_reads_kooclis_file_in_home() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".hcloud")).unwrap();
    write_shared_config(&home.path().join(".hcloud"));
    let settings = case()
        .var("HW_PROFILE", "ci")
        .var("HOME", &home.path().display().to_string())
        .settings();
    assert_eq!(aksk_of(&settings).0, "AKPROFILE");
}

#[test]
fn assume_role_comes_from_the_block_or_the_environment() {
    let settings = case()
        .region()
        .assume_roles(&[&[("agency_name", text("ops")), ("domain_name", text("owner"))]])
        .keys()
        .var("HW_ASSUME_ROLE_DURATION", "1800")
        .settings();
    let role = &temporary(&settings).chain[0].role;
    assert_eq!(role.agency_name, "ops");
    assert_eq!(role.domain, AgencyDomain::Name("owner".into()));
    assert_eq!(role.duration_s, 1800);

    let settings = case()
        .region()
        .keys()
        .var("HW_ASSUME_ROLE_AGENCY_NAME", "ops")
        .var("HW_ASSUME_ROLE_DOMAIN_ID", "d1")
        .settings();
    let role = &temporary(&settings).chain[0].role;
    assert_eq!(role.domain, AgencyDomain::Id("d1".into()));
    assert_eq!(role.duration_s, DEFAULT_ASSUME_ROLE_DURATION_S);
}

#[test]
fn an_incomplete_assume_role_block_is_an_error_inside_the_block() {
    let errors = case()
        .region()
        .assume_roles(&[&[("agency_name", text("ops")), ("duration", number(60))]])
        .keys()
        .errors();
    let paths: Vec<_> = errors.iter().filter_map(|d| d.attribute.clone()).collect();
    let inside = AttributePath::attr("assume_role").push_index(0);
    assert!(
        paths.contains(&inside.push_attr("domain_name")),
        "{paths:?}"
    );
    assert!(paths.contains(&inside.push_attr("duration")), "{paths:?}");
}

#[tokio::test]
async fn no_credentials_anywhere_is_one_error_naming_every_place_looked_at() {
    // A closed loopback port stands in for a laptop without a metadata service.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let settings = case()
        .set("region", text("cn-north-4"))
        .var("HW_METADATA_ENDPOINT", &endpoint)
        .var("HOME", "/home/dev")
        .settings();
    let mut diags = Diagnostics::new();
    assert!(
        settings
            .into_client_config(None, &mut diags)
            .await
            .is_none()
    );
    let errors: Vec<_> = diags.iter().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].summary, "No credentials found");
    let detail = &errors[0].detail;
    for place in [
        "provider block",
        "auth_token",
        "access_key",
        "profile",
        "HW_ACCESS_KEY",
        "HW_AUTH_TOKEN",
        "HW_PROFILE",
        "HW_SHARED_CONFIG_FILE",
        "/home/dev/.hcloud/config.json",
        &format!("{endpoint}/openstack/latest/securitykey"),
    ] {
        assert!(detail.contains(place), "{place} missing from: {detail}");
    }
}

#[test]
fn an_out_of_range_duration_is_refused_at_validate() {
    let errors = case()
        .assume_roles(&[&[("agency_name", text("ops")), ("duration", number(100_000))]])
        .validate();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].attribute,
        Some(
            AttributePath::attr("assume_role")
                .push_index(0)
                .push_attr("duration")
        )
    );
    assert!(errors[0].detail.contains("900 to 86400"));
    assert!(
        case()
            .assume_roles(&[&[("duration", number(900))]])
            .validate()
            .is_empty()
    );
}

#[test]
fn max_retries_is_a_whole_number_in_range_at_validate_and_unknown_waits() {
    for bad in [Value::Number((-1i64).into()), number(21)] {
        let errors = case().set("max_retries", bad).validate();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::attr("max_retries"))
        );
        assert!(errors[0].detail.contains("0 to 20"), "{}", errors[0].detail);
    }
    assert!(case().set("max_retries", number(20)).validate().is_empty());
    assert!(
        case()
            .set("max_retries", Value::Unknown)
            .validate()
            .is_empty()
    );
    // Missing settings are not errors at validate: the environment may still give them.
    assert!(case().assume_roles(&[&[]]).validate().is_empty());
}
