"""The production configuration in deploy/ is syntactically valid: nginx accepts the site
(`nginx -t` on a throwaway prefix with a test certificate), systemd accepts the units
(`systemd-analyze verify`). Skipped, with the reason, where the tool is not installed."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "salamat.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_the_nginx_site_is_valid(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    cert, key = _self_signed(tmp_path)
    (tmp_path / "logs").mkdir()
    proxy = tmp_path / "salamat-proxy.conf"
    proxy.write_text((DEPLOY / "nginx" / "salamat-proxy.conf").read_text())
    site = (DEPLOY / "nginx" / "salamat.conf").read_text()
    for placeholder, real in {
        "/etc/ssl/salamat/fullchain.pem": cert, "/etc/ssl/salamat/privkey.pem": key,
        "/etc/nginx/salamat-proxy.conf": proxy, "/var/log/nginx/": f"{tmp_path}/logs/",
    }.items():  # fmt: skip
        assert placeholder in site
        site = site.replace(placeholder, str(real))
    (tmp_path / "salamat.conf").write_text(site)
    # The site as Debian's nginx.conf includes it: inside http {}, with the MIME types.
    mime = Path("/etc/nginx/mime.types")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  {'include ' + str(mime) + ';' if mime.exists() else ''}\n"
        f"  access_log {tmp_path}/logs/access.log;\n  include {tmp_path}/salamat.conf;\n}}\n"
    )
    result = subprocess.run(  # noqa: S603
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "logs/error.log")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_the_systemd_units_are_valid(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The units name the production paths; here they point at this checkout.
    env = tmp_path / "salamat.env"
    env.write_text((DEPLOY / "salamat.env.example").read_text())
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        text = (
            unit.read_text()
            .replace("/etc/salamat/salamat.env", str(env))
            .replace("/srv/salamat/app", str(REPO))
        )
        (tmp_path / unit.name).write_text(text)
        units.append(str(tmp_path / unit.name))
    assert {Path(u).name for u in units} >= {
        "salamat-web.service",
        "salamat-worker.service",
        "salamat-backup.timer",
    }
    result = subprocess.run(  # noqa: S603
        [analyze, "verify", "--man=no", *units], capture_output=True, text=True, cwd=tmp_path
    )
    # Only complaints about these units count (the host's own units may have their own).
    ours = [line for line in result.stderr.splitlines() if "salamat-" in line]
    assert result.returncode == 0 and not ours, result.stderr
