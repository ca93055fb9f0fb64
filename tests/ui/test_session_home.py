"""Where the session lives: ``<data>/jaxviz``, not ``<data>/jaxviz/jaxviz``; a session an
earlier jaxviz wrote to the doubled folder is still restored."""

import json

from jaxviz.ui.session_store import Session, SessionStore, home


def test_the_session_folder_is_named_once(qapp, monkeypatch, tmp_path):
    monkeypatch.delenv("JAXVIZ_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    qapp.setApplicationName("jaxviz")
    assert home() == tmp_path / "jaxviz"
    legacy = tmp_path / "jaxviz" / "jaxviz"
    legacy.mkdir(parents=True)
    (legacy / "session.json").write_text(json.dumps({"source": "def old(x):\n    return x\n",
                                                     "function": "old"}))
    store = SessionStore()
    assert store.load().function == "old"  # restored from where an earlier jaxviz wrote it
    store.save(Session(source="def new(x):\n    return x\n", function="new"))
    assert json.loads((tmp_path / "jaxviz" / "session.json").read_text())["function"] == "new"
    assert SessionStore().load().function == "new"
