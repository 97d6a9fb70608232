//! `--yara ../shared/yara` (30 signature-base rule files: webshells, miners, Linux implants,
//! Log4Shell) on the samples and on benign image fixtures: every rule compiles and runs on
//! boreal, the samples' webshells, miners and exploit traces fire the rules named here, and
//! benign evidence fires none.

use std::collections::BTreeSet;

use crate::util::{root, run_json, shared};

/// (finding id, file) of every YARA finding of a scan with the shared rules.
fn yara_hits(path: &str) -> (BTreeSet<(String, String)>, serde_json::Value) {
    let rules = shared("yara");
    let (v, _) = run_json(&["scan", path, "--yara", rules.to_str().unwrap(), "-q"]);
    let mut out = BTreeSet::new();
    for b in v["bundles"].as_array().unwrap() {
        for f in b["findings"].as_array().unwrap() {
            let rule = f["rule"].as_str().unwrap();
            if let Some(r) = rule.strip_prefix("yara.") {
                let file =
                    f["evidence"][0]["members"].as_array().and_then(|m| m.last()).and_then(|m| m.as_str());
                out.insert((r.to_string(), file.unwrap_or("").to_string()));
            }
        }
    }
    (out, v)
}

fn sample(name: &str) -> String {
    root().join("samples").join(name).display().to_string()
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter().map(|(r, f)| (r.to_string(), f.to_string())).collect()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn signature_base_rules_all_compile_and_fire_on_the_samples() {
    let (dvwa, v) = yara_hits(&sample("dvwa"));
    let described = v["run"]["options"]["yara"].as_str().unwrap();
    assert!(described.starts_with("30 rule file(s), 883 rules compiled, 0 not compiled"), "{described}");
    let diags = v["bundles"][0]["diagnostics"].as_array().unwrap();
    assert!(!diags.iter().any(|d| d["message"].as_str().unwrap().starts_with("YARA")), "{diags:#?}");
    assert_eq!(
        dvwa,
        pairs(&[
            // The uploaded China Chopper one-liner.
            ("apt_webshell_chinachopper.ChinaChopper_Generic", "/var/www/html/hackable/uploads/shell.php"),
            ("gen_webshells.EXT_WEBSHELL_PHP_Generic", "/var/www/html/hackable/uploads/shell.php"),
            ("gen_webshells.WEBSHELL_PHP_Generic_Eval", "/var/www/html/hackable/uploads/shell.php"),
            // DVWA's own command-injection page: shell_exec() of a request parameter is
            // exactly what the generic rule describes (the application is vulnerable by design).
            ("gen_webshells.EXT_WEBSHELL_PHP_Generic", "/var/www/html/vulnerabilities/exec/source/low.php"),
            // The miner dropper and the kinsing miner itself.
            ("crime_crypto_miner.SUSP_LNX_SH_CryptoMiner_Indicators_Dec20_1", "/tmp/m.sh"),
            ("pua_cryptocoin_miner.CoinMiner_Strings", "/tmp/m.sh"),
            ("pua_cryptocoin_miner.PUA_Crypto_Mining_CommandLine_Indicators_Oct21", "/tmp/m.sh"),
            ("pua_cryptocoin_miner.CoinMiner_Strings", "/tmp/kdevtmpfsi"),
            // The Log4Shell probes the web server logged.
            ("expl_log4j_cve_2021_44228.EXPL_Log4j_CVE_2021_44228_Dec21_Hard", "/var/log/apache2/access.log"),
            ("expl_log4j_cve_2021_44228.EXPL_Log4j_CVE_2021_44228_Dec21_Soft", "/var/log/apache2/access.log"),
            (
                "expl_log4j_cve_2021_44228.EXPL_Log4j_CallBackDomain_IOCs_Dec21_1",
                "/var/log/apache2/access.log"
            ),
            ("expl_log4j_cve_2021_44228.SUSP_EXPL_OBFUSC_Dec21_1", "/var/log/apache2/access.log"),
        ])
    );
    let (log4shell, _) = yara_hits(&sample("log4shell"));
    assert_eq!(
        log4shell,
        pairs(&[
            // The JSP webshell planted after the exploit.
            (
                "gen_webshells.EXT_WEBSHELL_JSP_Generic_Tiny",
                "/usr/local/tomcat/webapps/ROOT/assets/health.jsp"
            ),
            ("gen_webshells.WEBSHELL_JSP_Generic", "/usr/local/tomcat/webapps/ROOT/assets/health.jsp"),
            // The exploitation in Tomcat's own logs.
            (
                "expl_log4j_cve_2021_44228.EXPL_JNDI_Exploit_Patterns_Dec21_1",
                "/usr/local/tomcat/logs/catalina.2026-11-27.log"
            ),
            (
                "expl_log4j_cve_2021_44228.EXPL_Log4j_CVE_2021_44228_Dec21_OBFUSC",
                "/usr/local/tomcat/logs/catalina.2026-11-27.log"
            ),
            (
                "expl_log4j_cve_2021_44228.EXPL_Log4j_CVE_2021_44228_Dec21_Soft",
                "/usr/local/tomcat/logs/catalina.2026-11-27.log"
            ),
            (
                "expl_log4j_cve_2021_44228.SUSP_JDNIExploit_Indicators_Dec21",
                "/usr/local/tomcat/logs/catalina.2026-11-27.log"
            ),
            (
                "expl_log4j_cve_2021_44228.EXPL_Log4j_CVE_2021_44228_Dec21_OBFUSC",
                "/usr/local/tomcat/logs/localhost_access_log.2026-11-27.txt"
            ),
        ])
    );
    // Credit as the DRL asks: rule name and author.
    let (_, v) = yara_hits(&sample("dvwa"));
    let f = v["bundles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "yara.pua_cryptocoin_miner.CoinMiner_Strings")
        .unwrap();
    assert!(
        f["title"].as_str().unwrap().starts_with("YARA rule CoinMiner_Strings by Florian Roth"),
        "{f:#?}"
    );
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn benign_images_fire_no_signature_base_rule() {
    for rel in [
        "fixtures/dive/.data/test-kaniko-image.tar",
        "fixtures/go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar",
    ] {
        let (hits, _) = yara_hits(shared(rel).to_str().unwrap());
        assert!(hits.is_empty(), "{rel}: {hits:?}");
    }
}
