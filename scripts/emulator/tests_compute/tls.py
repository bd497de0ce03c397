"""A throwaway certificate authority and certificates for the tests, made with the openssl
command (Berth makes its own in Swift; here they only need to exist)."""

import os
import subprocess


def make_certificates(folder, names=("scheduler", "worker", "client")):
    """Writes ca.pem and NAME.pem / NAME-key.pem for each name into a new `folder`; returns the CA
    file and {name: (cert, key)}."""
    os.makedirs(folder)
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=berth test CA", "-keyout", "ca-key.pem", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    result = {}
    for name in names:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN=dask-{name}",
                "-keyout", f"{name}-key.pem", "-out", f"{name}.csr")
        with open(os.path.join(folder, f"{name}.ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")
        result[name] = (os.path.join(folder, f"{name}.pem"), os.path.join(folder, f"{name}-key.pem"))
    return os.path.join(folder, "ca.pem"), result
