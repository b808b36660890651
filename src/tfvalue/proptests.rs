//! Property tests: every codec against arbitrary types and arbitrary conforming values.
//!
//! Types nest every kind (including `dynamic` and objects with optional attributes); values
//! put unknown and null at every level. These use proptest's default configuration, so the
//! case count comes from the environment for a long fuzz run:
//! `PROPTEST_CASES=100000 cargo test --lib tfvalue::proptests`.

use std::collections::BTreeSet;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::subsequence;

use super::{Number, Type, Value, decode_json, decode_msgpack, encode_json, encode_msgpack};

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z_]{1,8}", 1 => "\\PC{0,4}"]
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic)
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            btree_map(attr_name(), inner, 0..5).prop_flat_map(|attrs| {
                let names: Vec<String> = attrs.keys().cloned().collect();
                let len = names.len();
                subsequence(names, 0..=len).prop_map(move |optional| Type::Object {
                    attrs: attrs.clone(),
                    optional: optional.into_iter().collect::<BTreeSet<_>>(),
                })
            }),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("NaN", Number::from_f64_exact),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_filter_map("NaN", Number::from_f64),
        "-?[0-9]{1,40}(\\.[0-9]{1,30})?(e-?[0-9]{1,4})?"
            .prop_filter_map("parses", |s| s.parse().ok()),
    ]
}

/// A value conforming to `ty`; `dynamic_budget` bounds how many dynamic levels may pick a
/// fresh nested type, so generation always ends.
fn arb_value(ty: Type, dynamic_budget: u32) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(element) => vec(arb_value(*element, dynamic_budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(element) => vec(arb_value(*element, dynamic_budget), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(element) => btree_map(any::<String>(), arb_value(*element, dynamic_budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(elements) => elements
            .into_iter()
            .map(|element| arb_value(element, dynamic_budget))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object { attrs, .. } => attrs
            .into_iter()
            .map(|(name, attr_ty)| {
                arb_value(attr_ty, dynamic_budget).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
            .boxed(),
        Type::Dynamic => {
            let inner_type = if dynamic_budget == 0 {
                prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].boxed()
            } else {
                arb_type().boxed()
            };
            inner_type
                .prop_flat_map(move |inner| {
                    arb_value(inner.clone(), dynamic_budget.saturating_sub(1)).prop_map(
                        move |value| Value::Dynamic {
                            ty: inner.clone(),
                            value: Box::new(value),
                        },
                    )
                })
                .boxed()
        }
    };
    prop_oneof![1 => Just(Value::Unknown), 1 => Just(Value::Null), 6 => known].boxed()
}

fn typed_value() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|ty| (Just(ty.clone()), arb_value(ty, 2)))
}

proptest! {
    #[test]
    fn msgpack_round_trips_exactly((ty, value) in typed_value()) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        let decoded = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(encode_msgpack(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trips_exactly_without_unknowns((ty, value) in typed_value()) {
        let value = value.unknowns_to_null();
        let bytes = encode_json(&value, &ty).unwrap();
        let decoded = decode_json(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(encode_json(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_refuses_values_with_unknowns((ty, value) in typed_value()) {
        prop_assert_eq!(encode_json(&value, &ty).is_ok(), value.is_fully_known());
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = decode_msgpack(&bytes, &ty);
        let _ = decode_json(&bytes, &ty);
        let _ = Type::from_json(&bytes);
    }

    #[test]
    fn decoding_damaged_encodings_never_panics(
        (ty, value) in typed_value(),
        flips in vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        for mut bytes in [encode_msgpack(&value, &ty).unwrap(), encode_json(&value.unknowns_to_null(), &ty).unwrap()] {
            for (at, byte) in &flips {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = *byte;
                }
            }
            let _ = decode_msgpack(&bytes, &ty);
            let _ = decode_json(&bytes, &ty);
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = decode_msgpack(&bytes, &ty);
            let _ = decode_json(&bytes, &ty);
        }
    }

    #[test]
    fn number_text_round_trips_and_orders_like_f64(a in arb_number(), b in arb_number()) {
        prop_assert_eq!(&a.to_string().parse::<Number>().unwrap(), &a);
        if a.as_f64() < b.as_f64() {
            prop_assert!(a < b);
        }
    }
}
