//! Checks of a scanned Docker data root against the facts the capture run recorded from the
//! runtime itself (`docker ps`, `docker inspect`, the upper dir): every container, image and
//! change is found offline, deletions carry their whiteout's time.
#![allow(dead_code)]

use serde_json::Value;

use crate::real_facts::Facts;

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("no array {key}"))
}

/// The report of `ctriage scan DATAROOT` says what the run recorded: `kind` is the data root
/// section (`docker`, `containers_storage`), `driver` its storage driver.
pub fn check_data_root(report: &Value, f: &Facts, kind: &str, driver: &str) {
    let b = &report["bundles"][0];
    let roots = arr(&b["data_root"], kind);
    assert_eq!(roots.len(), 1, "one {kind} data root");
    let r = &roots[0];
    assert_eq!(r["drivers"], serde_json::json!([driver]));
    let image_id = format!("sha256:{}", f.image_id.trim_start_matches("sha256:"));
    // The container the run attacked, by id and name, with its image.
    let c = arr(r, "containers")
        .iter()
        .find(|c| c["id"] == f.container_id.as_str())
        .unwrap_or_else(|| panic!("container {} not found offline", f.container_id));
    assert_eq!(c["name"], f.container_name.as_str());
    assert_eq!(c["image_id"], image_id.as_str());
    assert!(c["upper_dir"].as_str().is_some_and(|u| u.ends_with("/diff")), "{c}");
    assert!(!arr(c, "logs").is_empty(), "its json-file log is tied to it");
    // The image, by id, with its tag and a verified config.
    let img = arr(r, "images").iter().find(|i| i["id"] == image_id.as_str()).expect("image found offline");
    assert_eq!(img["config_check"], "verified");
    assert!(!arr(img, "layers").is_empty());
    // Every change the run made in the container, from its read-write layer.
    let changes = arr(b, "data_root_changes")
        .iter()
        .find(|x| x["container"] == f.container_id.as_str())
        .expect("the container's own changes");
    assert_eq!(changes["source"], "upper-dir");
    let lines: Vec<(&str, &str)> = arr(changes, "changes")
        .iter()
        .map(|l| (l["change"].as_str().unwrap(), l["path"].as_str().unwrap()))
        .collect();
    let fcs: Vec<&Value> = arr(b, "file_changes").iter().filter(|x| x["source"] == "upper-dir").collect();
    for a in &f.added {
        assert!(lines.contains(&("added", a.path.as_str())), "{} not added: {lines:?}", a.path);
        let fc = fcs.iter().find(|x| x["path"] == a.path.as_str()).unwrap();
        if let Some(sha) = &a.sha256 {
            assert_eq!(fc["sha256"], sha.as_str(), "{}", a.path);
        }
    }
    for d in &f.deleted {
        assert!(lines.contains(&("deleted", d.path.as_str())), "{} not deleted: {lines:?}", d.path);
        let fc = fcs.iter().find(|x| x["path"] == d.path.as_str() && x["change"] == "deleted").unwrap();
        let at = fc["deleted_at"].as_str().expect("deleted_at from the whiteout");
        assert_eq!(crate::real_facts::epoch(at), d.mtime, "{}", d.path);
    }
    // The file rules see the container's changes (the dropped agent, the cron entry), and the
    // runtime's own files (`/run/.containerenv`) are no timestomping.
    let rules: Vec<&str> = arr(b, "findings").iter().filter_map(|x| x["rule"].as_str()).collect();
    assert!(rules.contains(&"file.persistence.cron"), "{rules:?}");
    assert!(!rules.contains(&"file.timestomp"), "{rules:?}");
    // Its log is tied to it.
    assert!(!arr(c, "logs").is_empty());
    // Few artifacts: layer directories are one each, never their files.
    for a in arr(b, "artifacts") {
        let p = a["path"].as_str().unwrap();
        let in_layer = p
            .split('/')
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| w[0] == driver && w[1].len() >= 64 && w[2] == "diff");
        assert!(a["kind"] == "layer-dir" || !in_layer, "a file inside a layer is an artifact: {p}");
        if a["kind"] == "layer-dir" {
            assert!(p.split('/').any(|c| c == driver), "{p}");
        }
    }
}

/// The story a seized data root tells: the attacked container compromised through the way in
/// the run used, every file it added attributed to it, and no other container a victim.
pub fn check_story(report: &Value, f: &Facts) {
    let b = &report["bundles"][0];
    let verdicts = arr(b, "verdicts");
    let of = |name: &str| verdicts.iter().find(|v| v["container"] == name);
    let victim =
        of(&f.container_name).unwrap_or_else(|| panic!("no verdict for {}: {verdicts:#?}", f.container_name));
    assert_eq!(victim["status"], "compromised", "{verdicts:#?}");
    let way_in = victim["way_in"].as_str().unwrap_or_else(|| panic!("no way in: {victim:#}"));
    match f.way_in.as_str() {
        "injection" => assert!(way_in.contains("injection"), "{way_in}"),
        "jndi" => assert!(way_in.contains("JNDI"), "{way_in}"),
        other => panic!("unknown way in {other}"),
    }
    for v in verdicts.iter().filter(|v| v["container"] != f.container_name.as_str()) {
        assert_ne!(v["status"], "compromised", "only {} was attacked: {v:#}", f.container_name);
    }
    // No fact hangs on the bundle: each is some container's.
    for fact in arr(b, "findings") {
        assert_eq!(fact["owner"]["scope"], "container", "{fact:#}");
    }
    // Every file the run added in the container is the container's, in its own chain.
    let facts = arr(b, "findings");
    for a in &f.added {
        for fact in facts.iter().filter(|x| {
            x["rule"].as_str().is_some_and(|r| r.starts_with("file."))
                && arr(x, "evidence").iter().any(|l| arr(l, "members").iter().any(|m| m == a.path.as_str()))
        }) {
            assert_eq!(fact["owner"]["name"], f.container_name.as_str(), "{fact:#}");
        }
    }
    assert!(
        arr(b, "chain").iter().any(|s| s["stage"] == "way in" && s["container"] == f.container_name.as_str()),
        "{:#}",
        b["chain"]
    );
}
