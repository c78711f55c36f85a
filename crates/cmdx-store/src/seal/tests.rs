use super::*;

const LINE: &str = r#"{"v":1,"task":"A","metadata":{"seal":1}}"#;

#[test]
fn a_sealed_line_unseals_to_the_original_and_its_hash_chains() {
    let wid = Uuid::now_v7();
    let mut sealer = Sealer::new(wid);
    let first = sealer.seal(LINE).unwrap();
    let second = sealer.seal(LINE).unwrap();
    let one = unseal(&first).unwrap();
    let two = unseal(&second).unwrap();
    assert_eq!(one.line(), LINE, "a nested \"seal\" key is not the seal");
    assert_eq!((one.seal().wid, one.seal().seq), (wid, 0));
    assert_eq!(two.seal().seq, 1);
    assert_eq!(one.seal().hash, hash(&[0; 32], LINE.as_bytes()));
    assert_eq!(two.seal().hash, hash(&one.seal().hash, LINE.as_bytes()));
    assert_eq!(two.expected_hash(&one.seal().hash), two.seal().hash);
    assert_eq!(
        first,
        format!(
            r#"{{"v":1,"task":"A","metadata":{{"seal":1}},"seal":{{"wid":"{wid}","seq":0,"hash":"{}"}}}}"#,
            one.seal().hash_hex()
        )
    );
    // A trailing newline is accepted.
    assert_eq!(unseal(&format!("{first}\n")).unwrap(), one);
}

#[test]
fn the_known_answer_matches_sha256_of_zeroes_and_the_line() {
    // sha256(32 zero bytes || "{}") computed independently (Python hashlib).
    assert_eq!(
        hex(&hash(&[0; 32], b"{}")),
        "fb1634c4e6cd4b1f1afe3ce2d6ef080f7ac5d1f357d723ad4dfca782733b62db"
    );
}

#[test]
fn what_is_not_an_object_is_refused_and_the_sealer_does_not_move() {
    let mut sealer = Sealer::new(Uuid::nil());
    assert_eq!(sealer.seal("[1]"), Err(SealError::NotAnObject));
    assert_eq!(sealer.seal(""), Err(SealError::NotAnObject));
    assert_eq!(sealer.next_seq(), 0);
}

#[test]
fn malformed_seals_are_reported() {
    assert_eq!(unseal(LINE), Err(SealError::Unsealed));
    for bad in [
        r#"{"v":1,"seal":{"wid":"x","seq":0,"hash":"00"}}"#,
        r#"{"v":1,"seal":{"wid":"00000000-0000-0000-0000-000000000000","seq":0,"hash":"00"}}"#,
        r#"{"v":1,"seal":{"wid":"00000000-0000-0000-0000-000000000000","seq":-1,"hash":"00"}}"#,
        r#"{"v":1,"seal":{"wid":"00000000-0000-0000-0000-000000000000","seq":0}"#,
        r#"[1,"seal":{}}"#,
    ] {
        assert!(matches!(unseal(bad), Err(SealError::Malformed(_))), "{bad}");
    }
    let upper = format!(
        r#"{{"v":1,"seal":{{"wid":"{}","seq":0,"hash":"{}"}}}}"#,
        Uuid::nil(),
        "AB".repeat(32)
    );
    assert!(matches!(unseal(&upper), Err(SealError::Malformed(_))));
}

#[test]
fn the_verifier_reports_each_kind_of_broken_link() {
    let mut a = Sealer::new(Uuid::now_v7());
    let mut b = Sealer::new(Uuid::now_v7());
    let a0 = a.seal(LINE).unwrap();
    let b0 = b.seal(LINE).unwrap();
    let a1 = a.seal(LINE).unwrap();
    let a2 = a.seal(LINE).unwrap();

    let mut ok = Verifier::new();
    for line in [&a0, &b0, &a1, &a2] {
        ok.check(line).unwrap();
    }
    let mut writers: Vec<_> = ok.writers().map(|(_, n)| n).collect();
    writers.sort();
    assert_eq!(writers, vec![1, 3]);

    let mut missing = Verifier::new();
    missing.check(&a0).unwrap();
    assert!(matches!(
        missing.check(&a2),
        Err(Broken::Missing {
            missing: 1,
            found: 2,
            ..
        })
    ));

    let mut repeated = Verifier::new();
    repeated.check(&a0).unwrap();
    assert!(matches!(
        repeated.check(&a0),
        Err(Broken::Repeated {
            seq: 0,
            expected: 1,
            ..
        })
    ));

    let mut first_missing = Verifier::new();
    assert!(matches!(
        first_missing.check(&a1),
        Err(Broken::Missing { missing: 0, .. })
    ));

    let mut edited = Verifier::new();
    edited.check(&a0).unwrap();
    let changed = a1.replace(r#""A""#, r#""B""#);
    assert!(matches!(
        edited.check(&changed),
        Err(Broken::HashMismatch { seq: 1, .. })
    ));
    assert!(edited.check(&a2).is_ok(), "carries on after the break");

    let mut unsealed = Verifier::new();
    let error = unsealed.check(LINE).unwrap_err();
    assert_eq!(error.to_string(), "unsealed line");
}

#[test]
fn the_sealer_reports_its_state_and_the_free_functions_agree_with_it() {
    let wid = Uuid::now_v7();
    let mut sealer = Sealer::new(wid);
    assert_eq!(sealer.wid(), wid);
    assert_eq!((sealer.next_seq(), sealer.prev_hash()), (0, [0; 32]));
    let first = sealer.seal(LINE).unwrap();
    let sealed = unseal(&first).unwrap();
    assert_eq!(sealer.next_seq(), 1);
    assert_eq!(sealer.prev_hash(), sealed.seal().hash);
    assert_ne!(sealer.prev_hash(), [1; 32]);
    // `seal` with the same Seal writes the same text the Sealer wrote.
    assert_eq!(seal(LINE, sealed.seal()).unwrap(), first);
    // `body` is the original line without its final `}`.
    assert_eq!(sealed.body(), &LINE[..LINE.len() - 1]);
    // Only objects: both ends are checked.
    assert_eq!(seal(r#""x"}"#, sealed.seal()), Err(SealError::NotAnObject));
    assert_eq!(sealer.seal("[1]"), Err(SealError::NotAnObject));
    assert_eq!(sealer.next_seq(), 1, "a refused line takes no seq");
    // Errors say what is wrong.
    assert!(SealError::NotAnObject.to_string().contains("JSON object"));
    assert!(SealError::Unsealed.to_string().contains("unsealed"));
    assert!(
        SealError::Malformed("seq".into())
            .to_string()
            .contains("seq")
    );
}
