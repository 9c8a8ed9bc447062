//! https targets through rustls, against nginx serving a self-signed certificate.
use lameduck_load::{run, Plan, RunHooks, Schedule};
use lameduck_testkit::{Stack, StackOptions};

fn stack_with_self_signed_certificate() -> Stack {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let tls = Some((certified.cert.pem(), certified.key_pair.serialize_pem()));
    Stack::start(StackOptions { tls, ..StackOptions::default() }).unwrap()
}

#[test]
fn https_with_insecure_accepts_a_self_signed_certificate() {
    let stack = stack_with_self_signed_certificate();
    let url = stack.https_url("/index.php").unwrap();
    let mut plan = Plan::new(&[url], Schedule::parse("const(20,1s)").unwrap()).unwrap();
    plan.insecure = true;
    let report = run(&plan, RunHooks::default()).unwrap();
    assert_eq!(report.codes.get(&200), Some(&20), "{report:#?}");
}

#[test]
fn https_rejects_an_unknown_certificate_as_a_tls_outcome() {
    let stack = stack_with_self_signed_certificate();
    let url = stack.https_url("/ok").unwrap();
    let plan = Plan::new(&[url], Schedule::parse("const(5,1s)").unwrap()).unwrap();
    let report = run(&plan, RunHooks::default()).unwrap();
    assert_eq!(report.net.get("other:tls"), Some(&5), "{report:#?}");
}
