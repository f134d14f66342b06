"""Security Profiles 2 and 3 from the command line, as the README shows them: `certs dev`, `serve` with TLS flags,
and `simulate` over wss:// with a CA file, a password or a client certificate."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli_serve_simulate import GraphQL, autocharge, autocharge_json, environment, free_port, serving

PASSWORD = "correct-horse-battery"
MAC = "0A1B2C3D4E5F"
REGISTER = (
    "mutation($c: String!, $p: String) { registerCharger(input: {chargePointId: $c, name: $c, password: $p}) { id } }"
)
SET_PROFILE = (
    "mutation($c: ID!, $p: Int!) { setChargerSecurityProfile(chargerId: $c, profile: $p) { securityProfile } }"
)


async def test_the_simulator_connects_on_profiles_2_and_3_and_a_downgrade_is_refused(tmp_path: Path) -> None:
    env = environment(tmp_path)
    certs = tmp_path / "certs"
    code, out = await autocharge(env, "certs", "dev", "--out", str(certs), "--host", "localhost", "--charger", "CP-2")
    assert code == 0, out
    assert {path.name for path in certs.iterdir()} >= {"ca.pem", "server.pem", "server-key.pem", "CP-2.pem"}
    tenant = await autocharge_json(env, "tenant", "create", "Acme Fleet")
    key = await autocharge_json(env, "apikey", "create", "--tenant", tenant["slug"], "--role", "admin")
    tls_port = free_port()
    tls_flags = [
        *("--ocpp-tls-cert", str(certs / "server.pem"), "--ocpp-tls-key", str(certs / "server-key.pem")),
        *("--ocpp-tls-port", str(tls_port), "--ocpp-tls-client-ca", str(certs / "ca.pem")),
    ]
    wss = f"wss://localhost:{tls_port}/ocpp"
    trust = ("--ca-file", str(certs / "ca.pem"))

    async with serving(env, tmp_path, *tls_flags) as served:
        admin = GraphQL(served.api_url, key["key"])
        cp1 = (await admin(REGISTER, c="CP-1", p=PASSWORD))["registerCharger"]["id"]
        cp2 = (await admin(REGISTER, c="CP-2", p=None))["registerCharger"]["id"]
        await admin(SET_PROFILE, c=cp1, p=2)
        await admin(SET_PROFILE, c=cp2, p=3)
        user = await admin('mutation { createUser(input: {email: "dana@acme.example", name: "Dana"}) { id } }')
        add_vehicle = 'mutation($u: ID!) { addVehicle(input: {userId: $u, licensePlate: "AB-123-CD"}) { id } }'
        vehicle = (await admin(add_vehicle, u=user["createUser"]["id"]))["addVehicle"]["id"]
        add_mac = "mutation($v: ID!, $m: String!) { addVehicleIdentifier(vehicleId: $v, value: $m) { id } }"
        await admin(add_mac, v=vehicle, m=MAC)

        profile_2 = await autocharge(
            env, "simulate", "--url", f"{wss}/CP-1", *trust, "--password", PASSWORD, "--mac", MAC
        )
        certificate = ("--cert", str(certs / "CP-2.pem"), "--key", str(certs / "CP-2-key.pem"))
        profile_3 = await autocharge(env, "simulate", "--url", f"{wss}/CP-2", *trust, *certificate, "--mac", MAC)
        downgrade = await autocharge(env, "simulate", "--url", f"{served.ocpp_url}/CP-2")

    for (code, out), cpid in ((profile_2, "CP-1"), (profile_3, "CP-2")):
        assert code == 0, out
        assert f"done: 1 Autocharge session(s) on {cpid}" in out
    assert downgrade[0] == 3, downgrade[1]
    assert "HTTP 401 Unauthorized (Security profile 3 not met: no tls)" in downgrade[1]


async def test_simulate_refuses_tls_flags_for_a_plain_ws_url(tmp_path: Path) -> None:
    code, out = await autocharge(
        environment(tmp_path), "simulate", "--url", "ws://127.0.0.1:9/ocpp/CP-1", "--ca-file", "ca.pem"
    )

    assert code == 2
    assert "for wss:// URLs" in out


async def test_serve_with_a_missing_certificate_file_exits_2_saying_so(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.pem")

    code, out = await autocharge(environment(tmp_path), "serve", "--ocpp-tls-cert", missing, "--ocpp-tls-key", missing)

    assert code == 2
    assert out.startswith("error: OCPP TLS:")
