#!/usr/bin/env python3
"""Writes vectors.json: Kafka request and response bodies encoded straight from Apache Kafka's message schemas.

Usage: generate.py KAFKA_CHECKOUT [SEED]. KAFKA_CHECKOUT is an apache/kafka working tree (or a directory holding
clients/src/main/resources/common/message/*.json); the committed vectors come from commit
1eb7644349cb07139d6a3c1ad1986979647cac99 (2024-10-25) with seed 14. The encoder below knows nothing of LogStore: it
walks each schema's fields for a version (versions, nullableVersions, flexibleVersions, commonStructs) and writes
random values, so LogStore's codec is checked against Kafka's field lists rather than against itself. Tagged fields
are left out (LogStore skips those it does not know, so their bytes would not re-encode).
"""
import base64, json, os, random, re, struct, sys, uuid

# LogStore's ApiVersionsTable: the versions to generate for each API (key: (min, max)).
SUPPORTED = {
    "Produce": (3, 10), "Fetch": (4, 16), "ListOffsets": (1, 7), "Metadata": (0, 13), "OffsetCommit": (2, 9),
    "OffsetFetch": (1, 7), "FindCoordinator": (0, 3), "JoinGroup": (0, 7), "Heartbeat": (0, 4), "LeaveGroup": (0, 4),
    "SyncGroup": (0, 5), "DescribeGroups": (0, 5), "ListGroups": (0, 5), "SaslHandshake": (0, 1), "ApiVersions": (0, 3),
    "CreateTopics": (2, 7), "DeleteTopics": (1, 6), "DeleteRecords": (0, 2), "InitProducerId": (0, 4),
    "OffsetForLeaderEpoch": (2, 4), "DescribeConfigs": (1, 4), "SaslAuthenticate": (0, 2),
}
SAMPLES = 4


def parse_range(text):
    """Kafka's version ranges: "3+", "0-7", "5", "none"."""
    if text is None or text == "none":
        return (1, 0)
    if text.endswith("+"):
        return (int(text[:-1]), 32767)
    if "-" in text:
        low, high = text.split("-")
        return (int(low), int(high))
    return (int(text), int(text))


def within(text, version):
    low, high = parse_range(text)
    return low <= version <= high


class Writer:
    def __init__(self, rng, flexible):
        self.out = bytearray()
        self.rng = rng
        self.flexible = flexible

    def uvarint(self, value):
        while value >= 0x80:
            self.out.append((value & 0x7F) | 0x80)
            value >>= 7
        self.out.append(value)

    def length(self, n, short=False):
        # n == -1 is null.
        if self.flexible:
            self.uvarint(n + 1)
        elif short:
            self.out += struct.pack(">h", n)
        else:
            self.out += struct.pack(">i", n)


def random_string(rng):
    alphabet = "abcXYZ019-_. éñ中"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))


def primitive(w, kind, nullable, rng):
    if kind == "bool":
        w.out.append(rng.randrange(2))
    elif kind == "int8":
        w.out += struct.pack(">b", rng.choice([-1, 0, 1, 127, -128, rng.randrange(-128, 128)]))
    elif kind == "int16":
        w.out += struct.pack(">h", rng.choice([-1, 0, 1, 32767, -32768, rng.randrange(-1000, 1000)]))
    elif kind == "uint16":
        w.out += struct.pack(">H", rng.randrange(65536))
    elif kind == "int32":
        w.out += struct.pack(">i", rng.choice([-1, 0, 2**31 - 1, -2**31, rng.randrange(-10**6, 10**6)]))
    elif kind == "int64":
        w.out += struct.pack(">q", rng.choice([-1, 0, 2**63 - 1, -2**63, rng.randrange(-10**12, 10**12)]))
    elif kind == "float64":
        w.out += struct.pack(">d", rng.random() * 1000)
    elif kind == "uuid":
        w.out += uuid.UUID(int=rng.getrandbits(128)).bytes
    elif kind == "string":
        if nullable and rng.randrange(4) == 0:
            w.length(-1, short=True)
        else:
            data = random_string(rng).encode("utf-8")
            w.length(len(data), short=True)
            w.out += data
    elif kind in ("bytes", "records"):
        if nullable and rng.randrange(4) == 0:
            w.length(-1)
        else:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
            w.length(len(data))
            w.out += data
    else:
        raise ValueError(f"unknown type {kind}")


def fields(w, field_list, version, structs, rng):
    for field in field_list:
        if not within(field.get("versions"), version) or within(field.get("taggedVersions"), version):
            continue
        kind = field["type"]
        nullable = within(field.get("nullableVersions"), version)
        if kind.startswith("[]"):
            element = kind[2:]
            if nullable and rng.randrange(4) == 0:
                w.length(-1)
                continue
            count = rng.choice([0, 1, 1, 2])
            w.length(count)
            for _ in range(count):
                if "fields" in field or element in structs:
                    struct_fields(w, field.get("fields") or structs[element], version, structs, rng)
                else:
                    primitive(w, element, False, rng)
        elif "fields" in field or kind in structs:
            struct_fields(w, field.get("fields") or structs[kind], version, structs, rng)
        else:
            primitive(w, kind, nullable, rng)


def struct_fields(w, field_list, version, structs, rng):
    fields(w, field_list, version, structs, rng)
    if w.flexible:
        w.uvarint(0)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(re.sub(r"^\s*//.*$", "", f.read(), flags=re.M))


def main():
    root = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 14
    directory = os.path.join(root, "clients/src/main/resources/common/message")
    if not os.path.isdir(directory):
        directory = root
    rng = random.Random(seed)
    vectors = []
    for api, (low, high) in SUPPORTED.items():
        for direction in ("Request", "Response"):
            schema = load(os.path.join(directory, f"{api}{direction}.json"))
            valid_low, valid_high = parse_range(schema["validVersions"])
            structs = {s["name"]: s["fields"] for s in schema.get("commonStructs", [])}
            for version in range(max(low, valid_low), min(high, valid_high) + 1):
                for _ in range(SAMPLES):
                    w = Writer(rng, within(schema.get("flexibleVersions"), version))
                    struct_fields(w, schema["fields"], version, structs, rng)
                    vectors.append({"api": api, "apiKey": schema["apiKey"], "apiVersion": version,
                                    "direction": direction.lower(), "bodyBase64": base64.b64encode(w.out).decode()})
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json"), "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=1)
        f.write("\n")
    print(f"{len(vectors)} vectors")


if __name__ == "__main__":
    main()
