"""URL names and API paths are a contract (templates, bookmarks, API clients): moving code must not change them."""

from pathlib import Path

from tests.architecture.url_inventory import inventory

SNAPSHOT = Path(__file__).with_name("url_inventory.txt")


def test_url_names_and_api_paths_unchanged():
    expected = SNAPSHOT.read_text().splitlines()
    current = inventory()
    assert [line for line in expected if line not in current] == [], "URL names or API paths disappeared"
    assert [line for line in current if line not in expected] == [], "new URL: add it to url_inventory.txt"
