"""Fixtures: one Gatehouse per test session (gatehouse_server.py) and an org with an Owner,
an Admin and a Member, under a role structure that grants `can_view_billing` to Admins."""

from __future__ import annotations

from collections.abc import Iterator

import gatehouse_server
import pytest
from gatehouse_server import Gatehouse, World, make_world


@pytest.fixture(scope="session")
def gatehouse() -> Iterator[Gatehouse]:
    server = gatehouse_server.start()
    yield server
    gatehouse_server.stop(server)


@pytest.fixture(scope="session")
def world(gatehouse: Gatehouse, tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(gatehouse.cli, tmp_path_factory.mktemp("roles"))
