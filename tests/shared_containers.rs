//! Daemon-side container configs written by real Docker versions (../shared/fixtures):
//! docker-explorer's /var/lib/docker captures and plaso's Docker 1.9 `config.json`.

use crate::util::{run_json, shared};

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn docker_explorer_aufs_v2_containers() {
    // The capture is scanned as it is: a bundle archive read in place.
    let tgz = shared("fixtures/docker-explorer/test_data/aufs.v2.tgz");
    let (v, _) = run_json(&["scan", tgz.to_str().unwrap()]);
    assert_eq!(v["bundles"][0]["kind"], "archive");
    let b = &v["bundles"][0];
    let cs = b["containers"].as_array().unwrap();
    assert_eq!(cs.len(), 7);
    let names: Vec<&str> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "adoring_snyder",
            "dreamy_snyder",
            "gloomy_mestorf",
            "insane_shirley",
            "modest_hodgkin",
            "sharp_kowalevski",
            "tiny_yalow"
        ]
    );
    let d = &cs[1];
    assert_eq!(d["id"], "7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966");
    assert_eq!(d["source"], "config-v2");
    assert_eq!(d["created"], "2017-02-13T16:45:05.629904159Z");
    assert_eq!(d["image"], "busybox");
    assert_eq!(d["image_id"], "sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768");
    assert_eq!(d["state"]["status"], "running");
    assert_eq!(d["state"]["started_at"], "2017-02-13T16:45:05.785658046Z");
    let m = d["mounts"].as_array().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["destination"], "/var/jenkins_home");
    assert_eq!(m[0]["type"], "volume");
    assert_eq!(m[0]["name"], "28297de547b5473a9aff90aaab45ed108ebf019981b40c3c35c226f54c13ac0d");
    assert!(m[0]["source"]
        .as_str()
        .unwrap()
        .ends_with("volumes/28297de547b5473a9aff90aaab45ed108ebf019981b40c3c35c226f54c13ac0d/_data"));
    assert_eq!(
        d["host_config"]["locator"]["artifact"],
        format!("docker/containers/{}/hostconfig.json", d["id"].as_str().unwrap())
    );
    let running: Vec<&str> =
        cs.iter().filter(|c| c["state"]["running"] == true).map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(running, ["dreamy_snyder"], "exactly one running container");
    // Only the running one is paused and killed; all seven are preserved.
    let plan = b["response_plan"].as_array().unwrap();
    let steps: Vec<&str> = plan.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps.iter().filter(|s| s.starts_with("Freeze")).count(), 1);
    assert_eq!(steps.iter().filter(|s| s.starts_with("Preserve")).count(), 7);
    assert_eq!(steps.last(), Some(&"Kill dreamy_snyder once its evidence is saved"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn docker_explorer_vols_v2_binds_and_volumes() {
    let tgz = shared("fixtures/docker-explorer/test_data/vols.v2.tgz");
    let (v, _) = run_json(&["scan", tgz.to_str().unwrap()]);
    let cs = v["bundles"][0]["containers"].as_array().unwrap();
    let mounts = |id: &str| -> Vec<String> {
        let c = cs.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("container {id} missing"));
        c["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let src = m["source"].as_str().unwrap();
                let src = src.strip_prefix("/var/lib/docker/").unwrap_or(src);
                format!("{} {src} -> {}", m["type"].as_str().unwrap(), m["destination"].as_str().unwrap())
            })
            .collect()
    };
    assert_eq!(
        mounts("8b6e90cc742bd63f6acb7ecd40ddadb4e5dee27d8db2b739963f7cd2c7bcff4a"),
        [
            "bind /opt/vols/bind -> /opt",
            "volume volumes/eda9ee495beccf988d963bf91de0276847e838b9531ab9118caef38a33894bb4/_data -> /var/jenkins_home"
        ]
    );
    assert_eq!(
        mounts("712909b5ab80d8785841f12e361c218a2faf5365f9ed525f2a0d6b6590ba89cb"),
        ["volume volumes/f5479c534bbc6e2b9861973c2fbb4863ff5b7b5843c098d7fb1a027fe730a4dc/_data -> /opt/vols/volume"]
    );
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn plaso_docker_1_9_config_json() {
    let p = shared(
        "fixtures/plaso/test_data/docker/containers/e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c/config.json",
    );
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    assert_eq!(code & 2, 0, "no unreadable evidence");
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "inspect");
    let c = &b["containers"][0];
    assert_eq!(c["name"], "desperate_galileo");
    assert_eq!(c["source"], "config-v1");
    assert_eq!(c["created"], "2016-01-07T16:49:08.507979539Z");
    assert_eq!(c["state"]["started_at"], "2016-01-07T16:49:08.674873770Z");
    assert_eq!(c["path"], "/bin/bash");
    assert_eq!(c["network"]["networks"][0]["ip_address"], "172.31.253.2");
    assert_eq!(c["mounts"][0]["destination"], "/data");
    assert_eq!(c["mounts"][0]["source"], "/data");
    let tl: Vec<&str> =
        b["timeline"].as_array().unwrap().iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert_eq!(tl, ["2016-01-07T16:49:08.507979539Z", "2016-01-07T16:49:08.674873770Z"]);
}
