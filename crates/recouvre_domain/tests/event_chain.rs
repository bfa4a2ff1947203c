//! The tamper-evident timeline: a chain sealed from real transitions verifies, and any edit,
//! removal or reordering of a stored event is caught at that event. The canonical JSON the
//! hashes cover does not depend on map order, so a payload that went through `jsonb` or a
//! JSON round trip hashes the same.

use chrono::{DateTime, Days, NaiveDate, Utc};
use recouvre_domain::events::{
    GENESIS, canonical_content, canonical_json, chain_hash, seal, timestamp_str,
};
use recouvre_domain::statement::{
    FormalNoticeDelivery, InterestRegime, Interruption, InterruptionCause, Judgment, RecoveryCost,
};
use recouvre_domain::terms::PaymentTerms;
use recouvre_domain::{
    Claim, ClaimEvent, ClaimId, ClosureKind, Contact, ContactChannel, ContactDirection,
    ContactOutcome, CreditorId, Currency, DebtorId, DisputeResolution, EventHash, Invoice, Money,
    NewClaim, Now, Payment, PaymentId, PaymentMethod, Settlement, Stage, StoredEvent, verify_chain,
};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date") + Days::new(n)
}

fn now(n: u64) -> Now {
    let today = day(n);
    Now {
        at: today
            .and_hms_micro_opt(9, 30, 15, 123_456)
            .expect("valid time")
            .and_utc(),
        today,
    }
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, "EUR").expect("valid amount")
}

/// The settlement of a payment when nothing but principal is owed (principal − payments).
fn interest_free(claim: &Claim, amount: Money) -> Settlement {
    let owed = claim.balance();
    let zero = Money::zero(owed.currency());
    Settlement::Imputed {
        owed_before: owed,
        owed_after: owed.checked_sub(amount).unwrap_or(zero),
        excess: amount.checked_sub(owed).unwrap_or(zero),
    }
}

/// A stored chain, as the store would hold it, with the head the claim records.
struct Chain {
    events: Vec<StoredEvent>,
    version: i64,
    head: EventHash,
}

impl Chain {
    fn verify(&self) -> Result<usize, i64> {
        verify_chain(&self.events, self.version, &self.head).map_err(|b| b.seq)
    }

    fn verify_events(&self, events: &[StoredEvent]) -> Result<usize, i64> {
        verify_chain(events, self.version, &self.head).map_err(|b| b.seq)
    }
}

/// A claim's life, every event kind included, sealed batch by batch with several actors.
fn chain() -> Chain {
    let id = ClaimId(uuid::Uuid::from_u128(0xC1A1));
    let new = NewClaim {
        creditor_id: CreditorId(uuid::Uuid::from_u128(1)),
        debtor_id: DebtorId(uuid::Uuid::from_u128(2)),
        external_reference: "DOS-7".to_owned(),
        currency: Currency::EUR,
        invoices: vec![
            Invoice {
                number: "F-1".to_owned(),
                issue_date: day(0),
                service_completion_date: None,
                due_date: day(30),
                payment_terms: Some(PaymentTerms::Net(30)),
                amount: eur("700.00"),
                contractual_rate: Some(Decimal::new(1521, 2)),
            },
            Invoice {
                number: "F-2".to_owned(),
                issue_date: day(1),
                service_completion_date: Some(day(1)),
                due_date: day(31),
                payment_terms: None,
                amount: eur("300.00"),
                contractual_rate: None,
            },
        ],
        regime: InterestRegime::Commercial,
        compound_interest: true,
        policy_id: None,
        first_step_at: None,
    };
    let (mut claim, created) = Claim::open(id, new, now(40)).expect("valid claim");
    let mut batches: Vec<(Vec<ClaimEvent>, &str, Now)> = vec![(created, "system", now(40))];
    let mut step = |f: &dyn Fn(&mut Claim, Now) -> Vec<ClaimEvent>, actor: &'static str, n| {
        let events = f(&mut claim, now(n));
        batches.push((events, actor, now(n)));
    };
    step(
        &|c, t| {
            c.record_contact(
                Contact {
                    channel: ContactChannel::Email,
                    direction: ContactDirection::Outbound,
                    outcome: ContactOutcome::Delivered,
                    note: "relance 1 \"amiable\"".to_owned(),
                    occurred_at: t.at,
                },
                t,
            )
            .expect("contact")
        },
        "api_key:0001",
        41,
    );
    step(
        &|c, t| {
            let owed = Ok(c.balance());
            c.record_promise(eur("200.00"), day(45), owed, t)
                .expect("promise")
        },
        "api_key:0001",
        42,
    );
    step(
        &|c, t| {
            c.escalate(Stage::FormalNotice, None, t)
                .expect("formal notice")
        },
        "system",
        46,
    );
    step(
        &|c, t| {
            c.record_formal_notice_delivery(
                FormalNoticeDelivery {
                    sent_on: day(44),
                    received_on: t.today,
                    tracking_number: "1A 234 567 8901 2".to_owned(),
                },
                t,
            )
            .expect("formal notice receipt")
        },
        "api_key:0001",
        46,
    );
    step(
        &|c, t| {
            c.record_payment(
                Payment {
                    id: PaymentId(uuid::Uuid::from_u128(77)),
                    amount: eur("150.50"),
                    value_date: t.today,
                    method: PaymentMethod::Cheque,
                    reference: "CHQ 0012 — ünïcødé".to_owned(),
                    invoice_number: Some("F-2".to_owned()),
                },
                interest_free(c, eur("150.50")),
                t,
            )
            .expect("payment")
        },
        "api_key:0002",
        47,
    );
    step(
        &|c, t| {
            c.open_dispute("facture F-2 contestée".to_owned(), t)
                .expect("dispute")
        },
        "api_key:0002",
        48,
    );
    step(
        &|c, t| {
            c.resolve_dispute(
                DisputeResolution::CreditorUpheld,
                "bon de livraison signé".to_owned(),
                t,
            )
            .expect("resolve")
        },
        "api_key:0001",
        50,
    );
    step(
        &|c, t| {
            let owed = Ok(c.balance());
            c.record_promise(eur("100.00"), t.today, owed, t)
                .expect("short promise")
        },
        "api_key:0001",
        51,
    );
    step(
        &|c, t| {
            c.record_payment(
                Payment {
                    id: PaymentId(uuid::Uuid::from_u128(78)),
                    amount: eur("100.00"),
                    value_date: day(51),
                    method: PaymentMethod::BankTransfer,
                    reference: "VIR".to_owned(),
                    invoice_number: None,
                },
                interest_free(c, eur("100.00")),
                t,
            )
            .expect("payment keeping the promise")
        },
        "api_key:0002",
        52,
    );
    step(
        &|c, t| {
            c.record_interruption(
                Interruption {
                    on: day(55),
                    cause: InterruptionCause::Acknowledgment,
                    note: "reconnaissance de dette signée".to_owned(),
                },
                t,
            )
            .expect("acknowledgment")
        },
        "api_key:0001",
        56,
    );
    step(
        &|c, t| c.escalate(Stage::Legal, Some(day(3000)), t).expect("legal"),
        "system",
        60,
    );
    step(
        &|c, t| {
            c.record_recovery_cost(
                RecoveryCost {
                    invoice_number: "F-1".to_owned(),
                    amount: Decimal::new(18000, 2),
                    incurred_on: day(61),
                    proof: "note d'honoraires n° 7".to_owned(),
                },
                t,
            )
            .expect("recovery cost")
        },
        "api_key:0002",
        62,
    );
    step(
        &|c, t| {
            c.record_judgment(
                Judgment {
                    pronounced_on: day(65),
                    enforceable_on: None,
                    court: "TC Lyon".to_owned(),
                    reference: "2025F00042".to_owned(),
                },
                t,
            )
            .expect("judgment")
        },
        "api_key:0001",
        66,
    );
    step(
        &|c, t| {
            let owed = Ok(c.balance());
            c.close(ClosureKind::Settled, "protocole signé".to_owned(), owed, t)
                .expect("close")
        },
        "api_key:0001",
        70,
    );

    let mut events = Vec::new();
    let (mut version, mut head) = (0, GENESIS);
    for (batch, actor, t) in &batches {
        let (sealed, v, h) = seal(id, version, head, batch, actor, t.at);
        events.extend(sealed);
        version = v;
        head = h;
    }
    Chain {
        events,
        version,
        head,
    }
}

#[test]
fn sealed_chain_verifies() {
    let chain = chain();
    let kinds: Vec<&str> = chain.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "claim_created",
            "contact_recorded",
            "promise_recorded",
            // The first payment did not keep the 200.00 promise, so it was broken by the next
            // transition after its date.
            "promise_broken",
            "escalated",
            "formal_notice_delivered",
            "payment_recorded",
            "dispute_opened",
            "dispute_resolved",
            "promise_recorded",
            "payment_recorded",
            "promise_kept",
            "interruption_recorded",
            "escalated",
            "recovery_cost_recorded",
            "judgment_recorded",
            "claim_closed",
        ]
    );
    let n = chain.events.len();
    assert_eq!(chain.verify(), Ok(n));
    assert_eq!(chain.version, i64::try_from(n).expect("small"));
    let seqs: Vec<i64> = chain.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=chain.version).collect::<Vec<_>>());
    assert_eq!(chain.events[0].prev_hash, GENESIS);
    for pair in chain.events.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "link at seq {}",
            pair[1].seq
        );
    }
    assert_eq!(chain.events.last().map(|e| e.hash), Some(chain.head));
}

#[test]
fn empty_chain_verifies_against_genesis() {
    assert_eq!(verify_chain(&[], 0, &GENESIS), Ok(0));
    assert_eq!(verify_chain(&[], 1, &GENESIS).map_err(|b| b.seq), Err(1));
}

#[test]
fn hash_is_over_prev_hash_and_canonical_content() {
    let chain = chain();
    for e in &chain.events {
        let content = canonical_content(
            e.claim_id,
            e.seq,
            &e.kind,
            e.occurred_at,
            &e.actor,
            &e.payload,
        );
        assert_eq!(chain_hash(&e.prev_hash, &content), e.hash, "seq {}", e.seq);
        assert!(!content.contains(' ') || e.payload.to_string().contains(' '));
        assert!(content.contains(&format!("\"seq\":{}", e.seq)));
        assert!(content.contains(&timestamp_str(e.occurred_at)));
    }
    assert_eq!(
        timestamp_str(now(0).at),
        "2025-01-01T09:30:15.123456Z",
        "six fractional digits, Z"
    );
}

/// An edit of one stored event.
type Tampering = Box<dyn Fn(&mut StoredEvent)>;

/// Every way of editing one stored event, each named for the failure message.
fn tamperings() -> Vec<(&'static str, Tampering)> {
    vec![
        (
            "payload value",
            Box::new(|e: &mut StoredEvent| {
                let Value::Object(map) = &mut e.payload else {
                    panic!("payloads are objects");
                };
                let key = map.keys().next().cloned().expect("non-empty payload");
                map.insert(key, json!("tampered"));
            }),
        ),
        (
            "payload key added",
            Box::new(|e: &mut StoredEvent| {
                e.payload["extra"] = json!(1);
            }),
        ),
        (
            "payload key removed",
            Box::new(|e: &mut StoredEvent| {
                let Value::Object(map) = &mut e.payload else {
                    panic!("payloads are objects");
                };
                let key = map.keys().next_back().cloned().expect("non-empty payload");
                map.remove(&key);
            }),
        ),
        (
            "payload replaced by null",
            Box::new(|e: &mut StoredEvent| e.payload = Value::Null),
        ),
        (
            "kind",
            Box::new(|e: &mut StoredEvent| {
                e.kind = if e.kind == "contact_recorded" {
                    "payment_recorded".to_owned()
                } else {
                    "contact_recorded".to_owned()
                };
            }),
        ),
        ("actor", Box::new(|e: &mut StoredEvent| e.actor.push('x'))),
        (
            "occurred_at + 1 µs",
            Box::new(|e: &mut StoredEvent| {
                e.occurred_at += chrono::Duration::microseconds(1);
            }),
        ),
        (
            "occurred_at - 1 day",
            Box::new(|e: &mut StoredEvent| e.occurred_at -= chrono::Duration::days(1)),
        ),
        ("seq + 1", Box::new(|e: &mut StoredEvent| e.seq += 1)),
        ("seq - 1", Box::new(|e: &mut StoredEvent| e.seq -= 1)),
        (
            "claim_id",
            Box::new(|e: &mut StoredEvent| e.claim_id = ClaimId(uuid::Uuid::from_u128(0xBAD))),
        ),
        (
            "prev_hash",
            Box::new(|e: &mut StoredEvent| e.prev_hash[31] ^= 1),
        ),
        ("hash", Box::new(|e: &mut StoredEvent| e.hash[0] ^= 0x80)),
    ]
}

#[test]
fn altering_any_field_of_any_event_breaks_the_chain_at_that_event() {
    let chain = chain();
    let mut failures = Vec::new();
    for i in 0..chain.events.len() {
        for (what, tamper) in tamperings() {
            let mut events = chain.events.clone();
            tamper(&mut events[i]);
            assert_ne!(events[i], chain.events[i], "{what} must change the event");
            let expected = chain.events[i].seq;
            let got = chain.verify_events(&events);
            if got != Err(expected) {
                failures.push(format!("{what} of seq {expected}: {got:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "undetected or misplaced:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_payload_value_is_covered() {
    // Not only the first key: each leaf of each payload, nested amounts included.
    fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    path.push(k.clone());
                    leaves(v, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    leaves(v, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let chain = chain();
    for i in 0..chain.events.len() {
        let mut paths = Vec::new();
        leaves(&chain.events[i].payload, &mut Vec::new(), &mut paths);
        assert!(!paths.is_empty());
        for path in paths {
            let mut events = chain.events.clone();
            let pointer = format!("/{}", path.join("/"));
            let leaf = events[i]
                .payload
                .pointer_mut(&pointer)
                .expect("leaf exists");
            let altered = match &*leaf {
                Value::String(s) => Value::String(format!("{s}0")),
                Value::Null => json!("2025-01-01"),
                other => json!([other.clone()]),
            };
            *leaf = altered;
            assert_eq!(
                chain.verify_events(&events),
                Err(chain.events[i].seq),
                "{pointer} of seq {}",
                chain.events[i].seq
            );
        }
    }
}

#[test]
fn removing_events_is_detected() {
    let chain = chain();
    let n = chain.events.len();
    let seq_at = |i: usize| chain.events[i].seq;

    // The last one: every remaining link holds, only the recorded head disagrees.
    let mut events = chain.events.clone();
    events.pop();
    assert_eq!(chain.verify_events(&events), Err(seq_at(n - 1)));
    let break_ = verify_chain(&events, chain.version, &chain.head).expect_err("head mismatch");
    assert!(break_.reason.contains("head"), "{}", break_.reason);

    // Any other one: the chain breaks where it was.
    for i in 0..n - 1 {
        let mut events = chain.events.clone();
        events.remove(i);
        assert_eq!(
            chain.verify_events(&events),
            Err(seq_at(i)),
            "removed seq {}",
            seq_at(i)
        );
    }

    // Everything.
    assert_eq!(chain.verify_events(&[]), Err(1));
}

#[test]
fn reordering_events_is_detected() {
    let chain = chain();
    let n = chain.events.len();
    for i in 0..n {
        for j in i + 1..n {
            let mut events = chain.events.clone();
            events.swap(i, j);
            assert_eq!(
                chain.verify_events(&events),
                Err(chain.events[i].seq),
                "swapped seq {} and {}",
                i + 1,
                j + 1
            );
        }
    }
    // Swapped with their numbers rewritten to look contiguous: still caught.
    let mut events = chain.events.clone();
    events.swap(3, 4);
    events[3].seq = 4;
    events[4].seq = 5;
    assert_eq!(chain.verify_events(&events), Err(4));
}

#[test]
fn rehashing_after_an_edit_is_caught_by_the_recorded_head() {
    // Someone with database access edits a payment and recomputes every hash after it: all
    // links hold, but the head the claim records no longer matches.
    let chain = chain();
    let mut events = chain.events.clone();
    let target = events
        .iter()
        .position(|e| e.kind == "payment_recorded")
        .expect("a payment");
    events[target].payload["amount"]["amount"] = json!("1.00");
    let mut prev = events[target].prev_hash;
    for e in &mut events[target..] {
        e.prev_hash = prev;
        e.hash = chain_hash(
            &prev,
            &canonical_content(
                e.claim_id,
                e.seq,
                &e.kind,
                e.occurred_at,
                &e.actor,
                &e.payload,
            ),
        );
        prev = e.hash;
    }
    let n = i64::try_from(events.len()).expect("small");
    assert_eq!(chain.verify_events(&events), Err(n + 1));
    // With its own head, the rewritten chain is internally consistent: the head is the anchor.
    assert_eq!(verify_chain(&events, n, &prev), Ok(events.len()));
}

#[test]
fn sealing_continues_a_chain() {
    let chain = chain();
    let more = [ClaimEvent::DisputeOpened {
        reason: "après clôture".to_owned(),
    }];
    let id = chain.events[0].claim_id;
    let (sealed, version, head) = seal(id, chain.version, chain.head, &more, "system", now(80).at);
    assert_eq!(version, chain.version + 1);
    assert_eq!(sealed[0].seq, version);
    assert_eq!(sealed[0].prev_hash, chain.head);
    let mut events = chain.events.clone();
    events.extend(sealed);
    assert_eq!(verify_chain(&events, version, &head), Ok(events.len()));
    // Sealing nothing changes nothing.
    let (none, v, h) = seal(id, chain.version, chain.head, &[], "system", now(80).at);
    assert_eq!((none.len(), v, h), (0, chain.version, chain.head));
}

#[test]
fn seal_is_deterministic() {
    let a = chain();
    let b = chain();
    assert_eq!(a.events, b.events);
    assert_eq!(a.head, b.head);
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON
// ---------------------------------------------------------------------------------------------

fn canonical(value: &Value) -> String {
    let mut out = String::new();
    canonical_json(value, &mut out);
    out
}

fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

#[test]
fn canonical_json_sorts_keys_recursively_whatever_the_insertion_order() {
    // The same content built with keys inserted in opposite orders, at every level. With
    // serde_json's `preserve_order` these maps iterate differently; without it they do not;
    // either way the canonical form must be the same.
    let forward = object(vec![
        ("a", json!(1)),
        (
            "b",
            object(vec![
                (
                    "c",
                    json!([object(vec![("d", json!(1)), ("e", json!(2))]), json!(null)]),
                ),
                ("z", json!(true)),
            ]),
        ),
        ("aa", json!("x")),
        ("B", json!(-1.5)),
    ]);
    let backward = object(vec![
        ("B", json!(-1.5)),
        ("aa", json!("x")),
        (
            "b",
            object(vec![
                ("z", json!(true)),
                (
                    "c",
                    json!([object(vec![("e", json!(2)), ("d", json!(1))]), json!(null)]),
                ),
            ]),
        ),
        ("a", json!(1)),
    ]);
    let expected = r#"{"B":-1.5,"a":1,"aa":"x","b":{"c":[{"d":1,"e":2},null],"z":true}}"#;
    assert_eq!(canonical(&forward), expected);
    assert_eq!(canonical(&backward), expected);

    // Parsed from text in different orders and spacing, too.
    let text_a: Value = serde_json::from_str(
        r#"{ "b": {"z": true, "c": [{"e": 2, "d": 1}, null]}, "aa": "x", "a": 1, "B": -1.5 }"#,
    )
    .expect("json");
    assert_eq!(canonical(&text_a), expected);
}

#[test]
fn canonical_json_keeps_array_order_and_escapes_strings() {
    assert_eq!(canonical(&json!([3, 1, 2])), "[3,1,2]");
    assert_ne!(canonical(&json!([1, 2])), canonical(&json!([2, 1])));
    assert_eq!(canonical(&json!({})), "{}");
    assert_eq!(canonical(&json!([])), "[]");
    assert_eq!(
        canonical(&json!({"k\"ey": "li\nne", "é": "ü"})),
        r#"{"k\"ey":"li\nne","é":"ü"}"#
    );
    // Keys sort by bytes: upper case before lower case, prefixes first.
    assert_eq!(
        canonical(&json!({"b": 0, "a": 0, "A": 0, "ab": 0, "_": 0})),
        r#"{"A":0,"_":0,"a":0,"ab":0,"b":0}"#
    );
}

/// Rebuilds a value with every object's keys inserted in reverse order, as a store that
/// reorders keys (PostgreSQL's `jsonb` sorts them by length, then bytes) might hand it back.
fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            let pairs: Vec<(&String, &Value)> = map.iter().collect();
            for (k, v) in pairs.into_iter().rev() {
                out.insert(k.clone(), reversed(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        scalar => scalar.clone(),
    }
}

#[test]
fn payloads_hash_the_same_after_a_json_round_trip() {
    let chain = chain();
    let round_trip = |v: &Value| -> Value {
        serde_json::from_str(&serde_json::to_string(v).expect("serialize")).expect("parse")
    };
    let pretty_trip = |v: &Value| -> Value {
        serde_json::from_str(&serde_json::to_string_pretty(v).expect("serialize")).expect("parse")
    };
    let stored: Vec<Vec<StoredEvent>> = [round_trip, pretty_trip]
        .iter()
        .map(|trip| {
            chain
                .events
                .iter()
                .map(|e| StoredEvent {
                    payload: trip(&e.payload),
                    ..e.clone()
                })
                .collect()
        })
        .chain(std::iter::once(
            chain
                .events
                .iter()
                .map(|e| StoredEvent {
                    payload: reversed(&round_trip(&e.payload)),
                    ..e.clone()
                })
                .collect(),
        ))
        .collect();
    for events in &stored {
        for (original, back) in chain.events.iter().zip(events) {
            assert_eq!(
                canonical(&back.payload),
                canonical(&original.payload),
                "seq {}",
                original.seq
            );
        }
        assert_eq!(chain.verify_events(events), Ok(chain.events.len()));
    }
}

#[test]
fn timestamps_hash_at_microsecond_precision() {
    // The caller truncates to microseconds (PostgreSQL's precision); what is hashed is the
    // RFC 3339 form with six digits, so a value read back from the database hashes the same.
    let at: DateTime<Utc> = now(0).at;
    assert_eq!(timestamp_str(at), "2025-01-01T09:30:15.123456Z");
    let parsed = DateTime::parse_from_rfc3339(&timestamp_str(at))
        .expect("rfc3339")
        .with_timezone(&Utc);
    assert_eq!(parsed, at);
}
