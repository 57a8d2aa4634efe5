"""The Streamlit settings for a class server: no tracebacks or server paths in a browser, capped messages."""

import tomllib
from pathlib import Path

from streamlit import config as streamlit_config

from playground import cli

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = tomllib.loads((ROOT / "playground" / "config.toml").read_text())
DEFAULT_MAX_MESSAGE_MB = 200


def test_an_error_shows_no_traceback_type_or_path_in_the_browser():
    assert SETTINGS["client"]["showErrorDetails"] == "none"
    assert SETTINGS["client"]["showErrorLinks"] is False


def test_messages_are_capped_well_below_streamlits_default():
    assert 1 <= SETTINGS["server"]["maxMessageSize"] <= DEFAULT_MAX_MESSAGE_MB // 4


def test_streamlit_knows_every_setting_and_the_readmes_server_options():
    known = streamlit_config._config_options_template
    for section, options in SETTINGS.items():
        assert all(f"{section}.{name}" in known for name in options), section
    assert {"server.allowedHosts", "server.address"} <= set(known)
    choices = [option.value for option in streamlit_config.ShowErrorDetailsConfigOptions]
    assert SETTINGS["client"]["showErrorDetails"] in choices


def test_the_served_app_and_a_checkout_get_the_same_settings():
    flags = cli.streamlit_flags()
    assert "--client.showErrorDetails=none" in flags and "--client.showErrorLinks=false" in flags
    assert f"--server.maxMessageSize={SETTINGS['server']['maxMessageSize']}" in flags
    assert (ROOT / ".streamlit" / "config.toml").resolve() == (ROOT / "playground" / "config.toml").resolve()


def test_a_click_never_starts_a_second_script_thread_beside_a_running_tick():
    """With Streamlit's fast reruns, a click stops the running script and starts the next at
    once, in a second thread, while the first may still be training the session's network in
    place: the new run then drew a step with no snapshot (seen under load). Reruns wait instead."""
    assert SETTINGS["runner"]["fastReruns"] is False
    assert "--runner.fastReruns=false" in cli.streamlit_flags()


def test_uploads_are_capped_to_the_largest_file_a_page_takes():
    from engine.export.run_files import MAX_WEIGHTS_BYTES

    assert MAX_WEIGHTS_BYTES <= SETTINGS["server"]["maxUploadSize"] * 2**20 < 200 * 2**20 // 4
    assert f"--server.maxUploadSize={SETTINGS['server']['maxUploadSize']}" in cli.streamlit_flags()
