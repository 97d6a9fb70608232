//! Unit tests of inspect parsing: array vs object vs JSON lines vs daemon configs, zero
//! times, redaction, invalid JSON.

use super::*;

/// A `docker inspect` container object as Docker 24 writes it (trimmed to what we read).
pub(crate) const WEB: &str = r#"{
    "Id": "4f2a9c1be0d3aa55e0f1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b",
    "Created": "2026-11-27T13:58:01.123456789Z",
    "Path": "catalina.sh",
    "Args": ["run"],
    "State": {
        "Status": "running", "Running": true, "Paused": false, "Restarting": false,
        "OOMKilled": false, "Dead": false, "Pid": 84010, "ExitCode": 0, "Error": "",
        "StartedAt": "2026-11-27T13:58:02.5Z", "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "healthy"}
    },
    "Image": "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
    "LogPath": "/var/lib/docker/containers/4f2a/4f2a-json.log",
    "Name": "/web",
    "RestartCount": 2,
    "AppArmorProfile": "unconfined",
    "HostConfig": {
        "Binds": ["/var/run/docker.sock:/var/run/docker.sock", "/srv/data:/data:ro"],
        "NetworkMode": "bridge",
        "PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "80"}]},
        "CapAdd": ["SYS_ADMIN"], "CapDrop": null, "IpcMode": "private", "PidMode": "",
        "Privileged": true, "ReadonlyRootfs": false, "SecurityOpt": ["label=disable"],
        "UTSMode": "", "UsernsMode": "", "Runtime": "runc", "Memory": 0, "NanoCpus": 0,
        "PidsLimit": null, "Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}],
        "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}
    },
    "GraphDriver": {"Data": {"MergedDir": "/var/lib/docker/overlay2/abc/merged", "UpperDir": "/var/lib/docker/overlay2/abc/diff"}, "Name": "overlay2"},
    "Mounts": [
        {"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "Mode": "", "RW": true, "Propagation": "rprivate"},
        {"Type": "bind", "Source": "/srv/data", "Destination": "/data", "Mode": "ro", "RW": false, "Propagation": "rprivate"}
    ],
    "Config": {
        "Hostname": "4f2a9c1be0d3", "User": "",
        "ExposedPorts": {"8080/tcp": {}},
        "Env": ["PATH=/usr/local/sbin:/usr/bin", "MYSQL_ROOT_PASSWORD=hunter2hunter", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"],
        "Cmd": ["catalina.sh", "run"], "Image": "tomcat:8.5-jre8", "WorkingDir": "/usr/local/tomcat",
        "Entrypoint": null, "Labels": {"maintainer": "ops"}
    },
    "NetworkSettings": {
        "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "80"}, {"HostIp": "::", "HostPort": "80"}]},
        "SandboxKey": "/var/run/docker/netns/5d1f",
        "Gateway": "172.17.0.1", "IPAddress": "172.17.0.2", "IPPrefixLen": 16, "MacAddress": "02:42:ac:11:00:02",
        "Networks": {
            "bridge": {"NetworkID": "7e6b", "Gateway": "172.17.0.1", "IPAddress": "172.17.0.2", "IPPrefixLen": 16, "MacAddress": "02:42:ac:11:00:02"},
            "backend": {"Gateway": "172.20.0.1", "IPAddress": "172.20.0.5", "IPPrefixLen": 24, "Aliases": ["web"]}
        }
    }
}"#;

const IMAGE: &str = r#"{
    "Id": "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
    "RepoTags": ["tomcat:8.5-jre8"], "RepoDigests": ["tomcat@sha256:0011"],
    "Parent": "", "Created": "2021-12-01T10:00:00.5Z", "DockerVersion": "20.10.7",
    "Architecture": "amd64", "Os": "linux", "Size": 356000000,
    "Config": {"Env": ["JAVA_HOME=/usr/local/openjdk-8", "API_TOKEN=abcdef"], "Cmd": ["catalina.sh", "run"], "ExposedPorts": {"8080/tcp": {}}, "User": ""},
    "RootFS": {"Type": "layers", "Layers": ["sha256:01", "sha256:02", "sha256:03"]}
}"#;

fn loc() -> Locator {
    Locator::artifact("inspect.json")
}

#[test]
fn array_with_container_and_image() {
    let text = format!("[\n{WEB},\n{IMAGE}\n]\n");
    let (doc, d) = parse_bytes(text.as_bytes(), &loc());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(doc.containers.len(), 1);
    assert_eq!(doc.images.len(), 1);
    let c = &doc.containers[0];
    assert_eq!(c.name, "web");
    assert_eq!(c.short_id(), "4f2a9c1be0d3");
    assert_eq!(c.source, InspectSource::Inspect);
    assert_eq!(c.image.as_deref(), Some("tomcat:8.5-jre8"));
    assert_eq!(c.locator.line, Some(2));
    assert_eq!(c.created.unwrap().to_iso(), "2026-11-27T13:58:01.123456789Z");
    assert_eq!(c.state.status.as_deref(), Some("running"));
    assert_eq!(c.state.pid, Some(84010));
    assert_eq!(c.state.finished_at, None, "zero time means none");
    assert_eq!(c.state.health.as_deref(), Some("healthy"));
    let h = c.host_config.as_ref().unwrap();
    assert!(h.privileged);
    assert_eq!(h.cap_add, ["SYS_ADMIN"]);
    assert_eq!(h.devices[0].path_on_host, "/dev/sda");
    assert!(h.pids_unlimited());
    assert_eq!(c.mount_destinations(), ["/data", "/var/run/docker.sock"]);
    assert!(!c.mounts[0].rw);
    assert_eq!(c.network.networks.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["backend", "bridge"]);
    assert_eq!(c.network.ip_address.as_deref(), Some("172.17.0.2"));
    let ports: Vec<String> = c.ports().iter().map(PortMapping::display).collect();
    assert_eq!(ports, ["0.0.0.0:80->8080/tcp", "[::]:80->8080/tcp"]);
    assert_eq!(c.graph_driver.as_ref().unwrap().data["UpperDir"], "/var/lib/docker/overlay2/abc/diff");
    assert!(c.security_options().contains(&"apparmor=unconfined".to_string()));
    assert!(c.config.runs_as_root());
    let i = &doc.images[0];
    assert_eq!(i.short_id(), "aa11bb22cc33");
    assert_eq!(i.layers.len(), 3);
    assert_eq!(i.locator.line, Some(WEB.lines().count() as u64 + 2), "line of the image's brace");
    assert_eq!(i.config.env[1].display(), "API_TOKEN=<redacted 6 chars>");
}

#[test]
fn secrets_never_reach_the_json() {
    let (doc, _) = parse_bytes(WEB.as_bytes(), &loc());
    let json = serde_json::to_string(&doc).unwrap();
    assert!(!json.contains("hunter2"), "{json}");
    assert!(!json.contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(json.contains("MYSQL_ROOT_PASSWORD"));
    assert!(json.contains("<redacted 13 chars>"));
}

#[test]
fn single_object_and_json_lines() {
    let (doc, d) = parse_bytes(WEB.as_bytes(), &loc());
    assert!(d.is_empty());
    assert_eq!(doc.containers.len(), 1);
    assert_eq!(doc.containers[0].locator.line, Some(1));
    let one_line = |s: &str| serde_json::to_string(&serde_json::from_str::<Value>(s).unwrap()).unwrap();
    let lines = format!("{}\n{}\n", one_line(WEB), one_line(IMAGE));
    let (doc, d) = parse_bytes(lines.as_bytes(), &loc());
    assert!(d.is_empty());
    assert_eq!((doc.containers.len(), doc.images.len()), (1, 1));
    assert_eq!(doc.images[0].locator.line, Some(2));
}

#[test]
fn daemon_config_v2_and_v1() {
    let v2 = r#"{"State":{"Running":false,"Paused":false,"OOMKilled":true,"Dead":false,"Pid":0,"ExitCode":137,
        "StartedAt":"2017-02-13T16:45:05.785658046Z","FinishedAt":"2017-02-13T17:00:00Z"},
        "ID":"7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966",
        "Created":"2017-02-13T16:45:05.629904159Z","Path":"sleep","Args":["10d"],
        "Config":{"Hostname":"7b02fb3e8a66","User":"","Env":["PATH=/bin"],"Cmd":["sleep","10d"],"Image":"busybox"},
        "Image":"sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768",
        "Name":"/dreamy_snyder","Driver":"aufs",
        "HostnamePath":"/tmp/docker/containers/7b02/hostname",
        "MountPoints":{"/var/jenkins_home":{"Source":"","Destination":"/var/jenkins_home","RW":true,
            "Name":"28297de547b5","Driver":"local"}},
        "SeccompProfile":"unconfined","NoNewPrivileges":false}"#;
    let (doc, d) = parse_bytes(v2.as_bytes(), &loc());
    assert!(d.is_empty());
    let c = &doc.containers[0];
    assert_eq!(c.source, InspectSource::ConfigV2);
    assert_eq!(c.name, "dreamy_snyder");
    assert_eq!(c.state.status.as_deref(), Some("exited"), "derived from the flags");
    assert!(c.host_config.is_none());
    assert_eq!(c.mounts[0].source.as_deref(), Some("/tmp/docker/volumes/28297de547b5/_data"));
    assert!(c.mounts[0].source_inferred);
    assert_eq!(c.mounts[0].kind.as_deref(), Some("volume"));
    assert_eq!(c.graph_driver.as_ref().unwrap().name, "aufs");
    assert_eq!(c.security_options(), ["seccomp=unconfined"]);
    let tl = timeline(&doc.containers);
    let descs: Vec<&str> = tl.iter().map(|e| e.timestamp_desc.as_ref()).collect();
    assert_eq!(descs, ["container created", "container started", "container finished"]);
    assert!(tl[2].message.contains("exit code 137, killed by the OOM killer"), "{}", tl[2].message);

    let v1 = r#"{"State":{"Running":true,"Pid":143648,"StartedAt":"2016-01-07T16:49:08.67487377Z","FinishedAt":"0001-01-01T00:00:00Z"},
        "ID":"e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c","Created":"2016-01-07T16:49:08.507979539Z",
        "Path":"/bin/bash","Args":[],"Config":{"Hostname":"e7d0b7ea5ccf","Cmd":"/bin/bash","Image":"577149231a20"},
        "Name":"/desperate_galileo","ExecDriver":"native-0.2",
        "Volumes":{"/data":"/data"},"VolumesRW":{"/data":true}}"#;
    let (doc, d) = parse_bytes(v1.as_bytes(), &loc());
    assert!(d.is_empty());
    let c = &doc.containers[0];
    assert_eq!(c.source, InspectSource::ConfigV1);
    assert_eq!(c.state.status.as_deref(), Some("running"));
    assert_eq!(c.config.cmd, ["/bin/bash"], "a lone string is a list of one");
    assert_eq!(c.mounts[0].source.as_deref(), Some("/data"));
    assert_eq!(timeline(&doc.containers).len(), 2, "zero FinishedAt gives no event");
}

#[test]
fn invalid_json_keeps_what_came_before() {
    let text = format!("{WEB}\n{{\"Id\": \"x\", \"State\": {{\n  \"Running\": tru }}");
    let (doc, d) = parse_bytes(text.as_bytes(), &loc());
    assert_eq!(doc.containers.len(), 1);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].level, crate::model::DiagLevel::Error);
    assert_eq!(d[0].locator.line, Some(WEB.lines().count() as u64 + 2), "line of `tru`");
    assert!(d[0].message.contains("column"), "{}", d[0].message);

    let (doc, d) = parse_bytes(b"[{\"Driver\":\"bridge\",\"IPAM\":{}}, 3]", &loc());
    assert!(doc.containers.is_empty());
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|x| x.level == crate::model::DiagLevel::Warning));
    let (_, d) = parse_bytes(b"\xff\xfe garbage", &loc());
    assert_eq!(d[0].level, crate::model::DiagLevel::Error);
}

#[test]
fn binds_fill_in_missing_mounts() {
    let text =
        r#"{"Id":"abc","State":{},"HostConfig":{"Binds":["/:/host:ro,rslave","data:/var/lib/mysql"]}}"#;
    let (doc, _) = parse_bytes(text.as_bytes(), &loc());
    let m = &doc.containers[0].mounts;
    assert_eq!(m.len(), 2);
    assert_eq!((m[0].source.as_deref(), m[0].destination.as_str(), m[0].rw), (Some("/"), "/host", false));
    assert_eq!((m[1].name.as_deref(), m[1].kind.as_deref()), (Some("data"), Some("volume")));
}

#[test]
fn podman_inspect_is_told_from_dockers() {
    let podman = r#"[{"Id":"edc329138e8f1039db90cdfb079b1ee150cad84b2742bf6df390ac114fe5d784","Name":"shop-web",
        "State":{"OciVersion":"1.0.2-dev","Status":"running","Running":true,"Pid":575,"ConmonPid":563},
        "ImageName":"localhost/lab/shop-web:1.0","OCIRuntime":"runc","ConmonPidFile":"/run/x/conmon.pid",
        "HostConfig":{"NetworkMode":"none"},"Config":{"Image":"localhost/lab/shop-web:1.0"}}]"#;
    let (doc, d) = parse_bytes(podman.as_bytes(), &loc());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(doc.containers[0].source, InspectSource::Podman);
    assert_eq!(doc.containers[0].name, "shop-web");
    let (doc, _) = parse_bytes(format!("[{WEB}]").as_bytes(), &loc());
    assert_eq!(doc.containers[0].source, InspectSource::Inspect);
}
