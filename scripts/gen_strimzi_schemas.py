"""Write kubeconform's JSON schemas for the Strimzi custom resources that deploy/k8s uses.

    .venv/bin/python scripts/gen_strimzi_schemas.py CRD_DIR

CRD_DIR holds the CustomResourceDefinitions of a Strimzi release (its packaging/install/cluster-operator
/04*-Crd-*.yaml). Strimzi publishes them only with its GitHub release and Helm chart, in no package
registry (Maven Central's io.strimzi:api jar holds the model classes, not the CRDs), so the schemas are
vendored into deploy/k8s/schemas/ and `make test` validates offline. Each served version's
openAPIV3Schema becomes deploy/k8s/schemas/<group>/<kind>_<version>.json (kubeconform's
-schema-location template `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`), made strict as
kubeconform's own openapi2jsonschema does: an object with declared properties and no
x-kubernetes-preserve-unknown-fields rejects unknown fields, so a misspelt field fails the test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "deploy" / "k8s" / "schemas"
KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
API_VERSION = "v1beta2"


def strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if (
            out.get("type") == "object"
            and "properties" in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("crd_dir", type=Path)
    args = parser.parse_args()
    written = []
    for path in sorted(args.crd_dir.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            if kind not in KINDS:
                continue
            for version in crd["spec"]["versions"]:
                if version["name"] != API_VERSION:  # the only one deploy/k8s uses (and Strimzi 1.x keeps)
                    continue
                schema = strict(version["schema"]["openAPIV3Schema"])
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                target = OUT / group / f"{kind.lower()}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                written.append(target.relative_to(ROOT))
    for target in written:
        print(f"wrote {target}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
