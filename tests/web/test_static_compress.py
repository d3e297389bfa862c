"""portal.storage: a compressed copy is made once and kept while its source is unchanged."""

import os

from portal.storage import IncrementalCompressor


def test_compresses_once_and_again_only_after_a_change(tmp_path):
    source = tmp_path / "app.js"
    source.write_text("console.log('recovery planner');\n" * 200)
    compressor = IncrementalCompressor(quiet=True)
    made = compressor.compress(str(source))
    assert sorted(made) == [f"{source}.br", f"{source}.gz"]
    first = {p: os.stat(p).st_mtime_ns for p in made}
    (tmp_path / "app.js.br").write_bytes(b"kept")  # a rewrite would replace this
    os.utime(tmp_path / "app.js.br", ns=(first[f"{source}.br"],) * 2)

    assert sorted(compressor.compress(str(source))) == sorted(made)
    assert (tmp_path / "app.js.br").read_bytes() == b"kept"

    source.write_text("console.log('changed');\n" * 200)
    os.utime(source, ns=(first[f"{source}.br"] + 5_000_000_000,) * 2)
    compressor.compress(str(source))
    assert (tmp_path / "app.js.br").read_bytes() != b"kept"
