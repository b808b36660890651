//! Fuzzing with proptest: every decoder that reads bytes from outside the process, and the
//! request signer, against arbitrary and mutated input.
//!
//! The properties use proptest's default configuration, so `cargo test --test fuzz` runs the
//! short version (256 cases each) and the long one is
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz`.
//! What is asserted: no input panics; decoding never "succeeds" with a value that does not
//! re-encode; signing is deterministic and its canonical URI always ends in `/`.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use terraform_provider_mrs::framework::Provider as _;
use terraform_provider_mrs::mrs::error::parse_error_body;
use terraform_provider_mrs::mrs::signer::{
    AccessKey, SigningInput, canonical_query, canonical_uri, sign,
};
use terraform_provider_mrs::provider::MrsProvider;
use terraform_provider_mrs::tfvalue::{
    Number, Type, Value, decode_json, decode_msgpack, encode_json, encode_msgpack,
};
use url::Url;

/// Every object type Terraform sends us DynamicValues of, by name.
fn schema_types() -> Vec<(String, Type)> {
    let provider = MrsProvider;
    let mut all = vec![("provider".to_owned(), provider.schema().value_type())];
    for r in provider.resources() {
        all.push((r.type_name().to_owned(), r.value_type().clone()));
    }
    for d in provider.data_sources() {
        all.push((d.type_name().to_owned(), d.value_type().clone()));
    }
    for a in provider.actions() {
        all.push((format!("action {}", a.type_name()), a.value_type().clone()));
    }
    all
}

fn arb_schema_type() -> impl Strategy<Value = (String, Type)> {
    proptest::sample::select(schema_types())
}

/// A value conforming to `ty`, with null and unknown at every level.
fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
    let concrete: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => prop_oneof![
            any::<i64>().prop_map(|n| Value::Number(Number::from_i64(n))),
            any::<f64>()
                .prop_filter_map("finite", Number::from_f64)
                .prop_map(Value::Number),
        ]
        .boxed(),
        Type::String => prop_oneof![".{0,12}", "\\PC{0,40}"]
            .prop_map(Value::String)
            .boxed(),
        Type::Dynamic => ".{0,8}"
            .prop_map(|s| Value::Dynamic {
                ty: Type::String,
                value: Box::new(Value::String(s)),
            })
            .boxed(),
        Type::List(inner) => vec(arb_value(inner), 0..4).prop_map(Value::List).boxed(),
        Type::Set(inner) => vec(arb_value(inner), 0..4)
            .prop_map(|mut items| {
                items.dedup();
                Value::Set(items)
            })
            .boxed(),
        Type::Map(inner) => proptest::collection::btree_map("\\PC{0,10}", arb_value(inner), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(items) => items
            .iter()
            .map(arb_value)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object { attrs, .. } => attrs
            .iter()
            .map(|(name, attr_ty)| {
                let name = name.clone();
                arb_value(attr_ty).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>()))
            .boxed(),
    };
    prop_oneof![8 => concrete, 1 => Just(Value::Null), 1 => Just(Value::Unknown)].boxed()
}

/// One way of damaging a valid encoding.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Overwrite { at: usize, byte: u8 },
}

fn arb_mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..6).prop_map(|(at, len)| Mutation::Remove { at, len }),
        // Bytes that are msgpack/JSON structure (headers of maps, arrays, strings, extensions).
        (
            any::<usize>(),
            prop_oneof![
                Just(0xc0u8),
                Just(0xc1),
                Just(0xd4),
                Just(0xdc),
                Just(0xde),
                Just(0xdb),
                Just(0x80),
                Just(0x90),
                Just(0xa0),
                Just(b'{'),
                Just(b'"'),
                Just(b'['),
                any::<u8>()
            ]
        )
            .prop_map(|(at, byte)| Mutation::Overwrite { at, byte }),
    ];
    vec(one, 1..4)
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Flip { at, xor } if len > 0 => bytes[at % len] ^= xor,
            Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
            Mutation::Insert { at, bytes: extra } => {
                let at = at % (len + 1);
                bytes.splice(at..at, extra.iter().copied());
            }
            Mutation::Remove { at, len: n } if len > 0 => {
                let at = at % len;
                let end = (at + n).min(len);
                bytes.drain(at..end);
            }
            Mutation::Overwrite { at, byte } if len > 0 => bytes[at % len] = *byte,
            _ => {}
        }
    }
    bytes
}

/// Whatever a decoder accepts must be a value of the type: encoding it again succeeds.
fn assert_msgpack_result_conforms(bytes: &[u8], ty: &Type) {
    if let Ok(value) = decode_msgpack(bytes, ty) {
        encode_msgpack(&value, ty).expect("a decoded value re-encodes");
    }
}

fn assert_json_result_conforms(bytes: &[u8], ty: &Type) {
    if let Ok(value) = decode_json(bytes, ty) {
        let unknown_free = value.unknowns_to_null();
        encode_json(&unknown_free, ty).expect("a decoded state re-encodes");
    }
}

fn schema_value() -> impl Strategy<Value = (String, Type, Value)> {
    arb_schema_type()
        .prop_flat_map(|(name, ty)| arb_value(&ty).prop_map(move |v| (name.clone(), ty.clone(), v)))
}

proptest! {
    #[test]
    fn msgpack_arbitrary_bytes_never_panic_for_any_schema(
        (_name, ty) in arb_schema_type(),
        bytes in vec(any::<u8>(), 0..256),
    ) {
        assert_msgpack_result_conforms(&bytes, &ty);
    }

    #[test]
    fn msgpack_mutated_valid_encodings_never_panic_for_any_schema(
        (_name, ty, value) in schema_value(),
        mutations in arb_mutations(),
    ) {
        let valid = encode_msgpack(&value, &ty).expect("a generated value encodes");
        prop_assert_eq!(&decode_msgpack(&valid, &ty).expect("round trip"), &value);
        let damaged = mutate(valid, &mutations);
        assert_msgpack_result_conforms(&damaged, &ty);
    }

    #[test]
    fn upgrade_state_json_arbitrary_text_never_panics(
        (_name, ty) in arb_schema_type(),
        text in prop_oneof![
            "\\PC{0,200}",
            "\\{(\"[a-z_]{1,16}\":(null|true|1e400|-0|\"\\PC{0,8}\"|\\[\\]|\\{\\}),?){0,6}\\}",
        ],
    ) {
        assert_json_result_conforms(text.as_bytes(), &ty);
    }

    #[test]
    fn upgrade_state_json_mutated_valid_states_never_panic(
        (_name, ty, value) in schema_value(),
        mutations in arb_mutations(),
    ) {
        let known = value.unknowns_to_null();
        let valid = encode_json(&known, &ty).expect("a known value encodes as JSON");
        let damaged = mutate(valid, &mutations);
        assert_json_result_conforms(&damaged, &ty);
    }

    #[test]
    fn error_body_parser_never_panics_on_arbitrary_bytes(body in vec(any::<u8>(), 0..512)) {
        let _ = parse_error_body(&body);
    }

    #[test]
    fn error_body_parser_never_panics_on_json_and_html_shapes(
        body in prop_oneof![
            "\\{(\"(error_code|error_msg|code|message|request_id|error)\":(\"\\PC{0,20}\"|[0-9]{1,30}|null|\\{\\}|\\[1\\]|\\{\"code\":\"x\"\\}),?){0,5}\\}",
            "<html><head><title>\\PC{0,40}</title>\\PC{0,40}",
            "<\\PC{0,10}title\\PC{0,30}",
            "\\{\\PC{0,60}",
        ],
        mutations in arb_mutations(),
    ) {
        let parsed = parse_error_body(body.as_bytes());
        // Whatever the parser recovers came from the body.
        for field in [&parsed.error_code, &parsed.error_msg, &parsed.request_id].into_iter().flatten() {
            prop_assert!(field.chars().count() <= body.chars().count() + 16, "{field:?} from {body:?}");
        }
        let _ = parse_error_body(&mutate(body.into_bytes(), &mutations));
    }

    #[test]
    fn canonical_uri_always_ends_with_a_slash(path in "\\PC{0,60}") {
        let uri = canonical_uri(&path);
        prop_assert!(uri.ends_with('/'), "{uri:?} from {path:?}");
        let query = canonical_query(&path);
        prop_assert!(!query.contains(' '), "{query:?}");
    }

    #[test]
    fn signing_arbitrary_requests_is_deterministic_and_never_panics(
        method in prop_oneof!["GET", "POST", "\\PC{0,10}", "[a-z]{1,7}"],
        path in "(/\\PC{0,12}){0,5}",
        query in proptest::option::of("\\PC{0,40}"),
        headers in vec(("\\PC{0,12}", "\\PC{0,30}"), 0..6),
        body in vec(any::<u8>(), 0..128),
        secret in "\\PC{0,40}",
        date in prop_oneof!["20[0-9]{2}[01][0-9][0-3][0-9]T[0-2][0-9][0-5][0-9][0-5][0-9]Z", "\\PC{0,16}"],
    ) {
        let mut url = Url::parse("https://mrs.cn-north-4.myhuaweicloud.com").expect("static url");
        url.set_path(&path);
        url.set_query(query.as_deref());
        let headers: Vec<(String, String)> = headers;
        let input = SigningInput { method: &method, url: &url, headers: &headers, body: &body };
        let key = AccessKey { access_key: "AKFUZZ", secret_key: &secret };
        let first = sign(&input, key, &date);
        let second = sign(&input, key, &date);
        prop_assert_eq!(&first.authorization, &second.authorization);
        prop_assert_eq!(&first.canonical_request, &second.canonical_request);
        let canonical_uri_line = first.canonical_request.split('\n').nth(1).unwrap_or_default();
        prop_assert!(canonical_uri_line.ends_with('/'), "{:?}", first.canonical_request);
        prop_assert!(first.authorization.contains("Signature="));
        // The secret key is an HMAC key, never part of what is sent.
        if secret.len() >= 8 {
            for (name, value) in &first.headers {
                prop_assert!(!value.contains(&secret), "{name} carries the secret");
            }
        }
    }
}

#[test]
fn every_schema_is_fuzzed() {
    let names: Vec<String> = schema_types().into_iter().map(|(n, _)| n).collect();
    for expected in [
        "provider",
        "mrs_job_kill",
        "mrs_job_execution",
        "action mrs_job_kill",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}
