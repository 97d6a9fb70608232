#!/usr/bin/env python3
"""Generate a Kubernetes API server audit log (JSON lines, audit.k8s.io/v1), for
benches/k8saudit.sh.

Usage: gen-k8saudit.py OUT SIZE_MB [EXEC_EVERY]
Events as a busy cluster's log backend writes them: controllers and kubelets getting,
listing and watching (Metadata level), users creating deployments and pods with their
request objects (Request level), some 403s, and one exec into a pod by a service account
every EXEC_EVERY events (default 50000). Deterministic (seeded).
"""
import json
import random
import sys

rnd = random.Random(20261207)
NS = ["default", "shop", "payments", "monitoring", "kube-system", "ingress-nginx"]
RES = ["pods", "configmaps", "endpoints", "services", "deployments", "leases", "events", "nodes"]
CONTROLLERS = ["system:serviceaccount:kube-system:replicaset-controller", "system:kube-scheduler",
               "system:node:worker-1", "system:node:worker-2", "system:kube-controller-manager",
               "system:serviceaccount:monitoring:prometheus"]
USERS = ["alice@example.com", "bob@example.com", "system:serviceaccount:ci:deployer"]
UA = ["kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/abc", "kubelet/v1.30.2 (linux/amd64)",
      "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b", "Prometheus/2.53.0"]


def ts(i):
    s = 1764547200 + i // 200
    return "2026-12-01T%02d:%02d:%02d.%06dZ" % ((s // 3600) % 24, (s // 60) % 60, s % 60, (i * 7919) % 1000000)


def pod_spec(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name.split("-")[0]}},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/%s:1.%d" % (name.split("-")[0], rnd.randint(0, 9)),
                                     "ports": [{"containerPort": 8080}], "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                                     "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False}}],
                     "serviceAccountName": "default"}}


def event(i, exec_every):
    t = ts(i)
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "%08x-%04x-4000-8000-%012x" % (i, i % 65536, i),
          "stage": "ResponseComplete", "requestReceivedTimestamp": t, "stageTimestamp": t}
    if exec_every and i % exec_every == exec_every // 2:
        pod = "web-%x" % (i % 4096)
        ev.update(stage="ResponseStarted", verb="create",
                  requestURI="/api/v1/namespaces/shop/pods/%s/exec?command=sh&container=app&stdin=true&tty=true" % pod,
                  user={"username": "system:serviceaccount:shop:deployer", "groups": ["system:serviceaccounts"]},
                  sourceIPs=["203.0.113.50"], userAgent=UA[2],
                  objectRef={"resource": "pods", "namespace": "shop", "name": pod, "apiVersion": "v1", "subresource": "exec"},
                  responseStatus={"metadata": {}, "code": 101},
                  annotations={"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""})
        return ev
    r = rnd.random()
    ns = rnd.choice(NS)
    if r < 0.9:
        res = rnd.choice(RES)
        verb = rnd.choice(["get", "list", "watch", "update", "patch"])
        user = rnd.choice(CONTROLLERS)
        obj = {"resource": res, "namespace": ns, "apiVersion": "v1"}
        uri = "/api/v1/namespaces/%s/%s" % (ns, res)
        if verb in ("get", "update", "patch"):
            obj["name"] = "%s-%x" % (res[:-1], rnd.randint(0, 65535))
            uri += "/" + obj["name"]
        code = 200
    elif r < 0.98:
        user = rnd.choice(USERS)
        ns = rnd.choice(NS[:4])  # people deploy to the workload namespaces
        name = "api-%x" % rnd.randint(0, 1 << 20)
        ev["level"] = "Request"
        ev["requestObject"] = pod_spec(name)
        verb, obj, uri, code = "create", {"resource": "pods", "namespace": ns, "name": name, "apiVersion": "v1"}, "/api/v1/namespaces/%s/pods" % ns, 201
    else:
        user = "system:serviceaccount:shop:web"
        verb, obj, uri, code = "list", {"resource": "secrets", "namespace": "kube-system", "apiVersion": "v1"}, "/api/v1/namespaces/kube-system/secrets", 403
    ev.update(verb=verb, requestURI=uri, user={"username": user, "groups": ["system:authenticated"]},
              sourceIPs=["10.0.%d.%d" % (rnd.randint(0, 3), rnd.randint(2, 250))], userAgent=rnd.choice(UA),
              objectRef=obj, responseStatus={"metadata": {}, "code": code},
              annotations={"authorization.k8s.io/decision": "allow" if code < 400 else "forbid", "authorization.k8s.io/reason": ""})
    return ev


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    exec_every = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
    limit = size_mb << 20
    written = 0
    i = 0
    with open(out, "w") as f:
        buf = []
        while written < limit:
            line = json.dumps(event(i, exec_every), separators=(",", ":")) + "\n"
            buf.append(line)
            written += len(line)
            i += 1
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    print("%d events, %d bytes" % (i, written), file=sys.stderr)


if __name__ == "__main__":
    main()
