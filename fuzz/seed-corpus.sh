#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET/) from the policies and inputs of the repository.
# Idempotent: seeds are named by content, so running it again adds nothing twice.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus/check_lossy" "$corpus/check_utf8" "$corpus/eval_json" "$corpus/generated" "$corpus/fmt" \
    "$corpus/import_workbook" "$corpus/import_xml"

seed() { # TARGET FILE: copy FILE (or stdin when FILE is -) under its content hash
    local target="$1" tmp
    tmp="$(mktemp)"
    cat "${2:--}" >"$tmp"
    mv "$tmp" "$corpus/$target/$(sha1sum "$tmp" | cut -c1-40)"
}

policies=0
for file in "$root"/rules/*.policy "$root"/rules/lib/*.policy "$root"/tests/golden/fmt/*.policy \
    "$root"/tests/golden/check/*.policy \
    "$root"/tests/golden/eval/*.policy "$root"/tests/eval/*.policy \
    "$root"/tests/syntax/*.policy "$root"/tests/batch/*.policy; do
    [ -f "$file" ] || continue
    seed check_lossy "$file"
    seed check_utf8 "$file"
    seed fmt "$file"
    policies=$((policies + 1))
done

# eval_json inputs: a selector byte (policy in bits 0-1, data in bits 2-3: 1 is the reference
# data of rules/data), two little-endian bytes of days since 1970 (20240 is 2025-06-01), then
# the record.
inputs=0
for file in "$root"/rules/data/*-supplier.json "$root"/tests/eval/*.input.json \
    "$root"/tests/golden/eval/*.input.json "$root"/tests/batch/*.json; do
    [ -f "$file" ] || continue
    for policy in 0 1 2 3; do
        { printf "\\x$(printf %02x $((policy | 4)))\\x10\\x4f"; cat "$file"; } | seed eval_json
    done
    inputs=$((inputs + 1))
done
# Each line of the batch files is a record too.
for file in "$root"/rules/data/*.jsonl "$root"/tests/batch/*.jsonl; do
    [ -f "$file" ] || continue
    while IFS= read -r line; do
        { printf '\x04\x10\x4f'; printf '%s' "$line"; } | seed eval_json
        inputs=$((inputs + 1))
    done <"$file"
done

# generated draws its choices from raw bytes: a few random seeds start it off.
for i in 1 2 3 4 5 6 7 8; do
    head -c $((64 * i)) /dev/urandom | seed generated
done
# import_workbook: a selector byte (0 CMRT, 1 EMRT, 2 CPI, 3 RMI, 4 SVHC, 5 OFAC), then the
# file: the workbooks a run of tests/import.rs wrote (into cargo's target `tmp/`), and the
# CSV of rules/data. import_xml: the EU list of tests/support/reference.rs.
workbooks=0
for file in "${CARGO_TARGET_DIR:-$root/target}"/tmp/*.xlsx "$root"/rules/data/*.csv; do
    [ -f "$file" ] || continue
    for reader in 0 1 2 3 4 5; do
        { printf "\\x0$reader"; cat "$file"; } | seed import_workbook
    done
    workbooks=$((workbooks + 1))
done
sed -n '/^pub const EU_XML: &str = r#"/,/^"#;$/p' "$root/tests/support/reference.rs" \
    | sed '1s/^pub const EU_XML: &str = r#"//; $d' | seed import_xml
[ "$workbooks" -gt 0 ] || echo "no workbooks to seed import_workbook: run cargo test --test import first"
echo "seeded $policies policies, $inputs records and $workbooks workbooks into $corpus"
