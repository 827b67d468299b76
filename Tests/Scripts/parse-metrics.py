#!/usr/bin/python3
# Parses Prometheus text (stdin) with the prometheus_client library's own parser and prints the
# samples as JSON: [{"name": ..., "labels": {...}, "value": ...}]; "+Inf" for infinity.
# With --openmetrics, uses its OpenMetrics parser instead. Exit 2 when the text does not parse.
import json
import math
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
except ImportError as e:
    print("no prometheus_client: %s" % e, file=sys.stderr)
    sys.exit(3)

text = sys.stdin.read()
parse = om_families if "--openmetrics" in sys.argv else text_string_to_metric_families
out = []
try:
    for family in parse(text):
        for s in family.samples:
            v = s.value
            out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels,
                        "value": "+Inf" if math.isinf(v) else v})
except Exception as e:
    print("does not parse: %s" % e, file=sys.stderr)
    sys.exit(2)
print(json.dumps(out))
