"""A Hypothesis strategy that mutates seed files byte-wise, the way a fuzzer does.

Mutations: flip a byte, insert an interesting token (NULL, NaN, 1e300, a BOM, quotes,
delimiters, YAML anchors, invalid UTF-8...), delete or duplicate a span, duplicate or
swap lines, truncate, insert random bytes. Hypothesis shrinks a failing input to a
minimal one, which goes into tests/fuzz/regressions/<target>/.
"""

from __future__ import annotations

from hypothesis import strategies as st

INTERESTING = [
    b"NULL", b"", b"NaN", b"nan", b"inf", b"-inf", b"Infinity", b"1e300", b"-1e-300",
    b"1e999999", b"\xff\xfe", b"\xef\xbb\xbf", b'"', b",", b"\n", b"\r\n", b"\r", b"{", b"[",
    b"}", b"]", b"null", b"-0", b"0x10", b"9" * 40, b"2026-13-45T25:61:61Z", b"&a ", b"*a",
    b"!!python/object:os.system", b"true", b"\x00", b"1_000", b"\t", b": ", b"- ", b"'",
    b"{}", b"[]", b'""', b"-1", b"0", b"1e-400", b"\\u0000", b"\xc3\x28", b"#", b"%",
    b"2026-10-01T00:00:00+25:00", b"1.5", b"-999999999999999999999999",
]


@st.composite
def mutated(draw, seeds: list[bytes], max_ops: int = 6) -> bytes:
    """One of `seeds` with 1..max_ops random mutations (or, rarely, random bytes)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=200))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.integers(0, 8))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op in (1, 2):
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif op == 3:
            end = pos + draw(st.integers(1, 16))
            del data[pos:end]
        elif op == 4:
            end = pos + draw(st.integers(1, 32))
            data[pos:pos] = data[pos:end]
        elif op == 5:
            del data[pos:]
        elif op == 6:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == 7:
            # replace a whole field: from pos up to the next delimiter
            end = pos
            while end < len(data) and data[end:end + 1] not in (b",", b"\n", b":", b'"', b"}"):
                end += 1
            data[pos:end] = draw(st.sampled_from(INTERESTING))
        else:
            lines = bytes(data).split(b"\n")
            if len(lines) > 1:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if draw(st.booleans()):
                    lines[i], lines[j] = lines[j], lines[i]
                else:
                    lines.insert(i, lines[j])
                data = bytearray(b"\n".join(lines))
    return bytes(data)
