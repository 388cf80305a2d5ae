#!/bin/sh
# Makes the certificates the TLS tests and the TLS benchmark use, in directory $1:
#
#   ca.crt / ca.key              the test CA
#   server.crt / server.key      localhost and 127.0.0.1, from the CA
#   client.crt / client.key      a client certificate (mutual TLS), from the CA
#   expired.crt / expired.key    localhost and 127.0.0.1, from the CA, valid only in 2020
#   future.crt / future.key      localhost and 127.0.0.1, from the CA, valid only from 2099
#   other-ca.crt                 another CA
#   other.crt / other.key        localhost and 127.0.0.1, from the other CA
#   server-2.crt / server-2.key  a second server certificate (rotation), from the CA
#   named.crt / named.key        redis.internal only (no address): a name mismatch on 127.0.0.1
#
# Past and future validity need `openssl ca` (x509 -req cannot back-date), hence the tiny CA
# database below. Keys are EC P-256: quick to make, as TLS servers commonly use. Server
# certificates are good for client authentication too: cluster nodes present them to each other
# on the cluster bus and to their primary (tls-cluster, tls-replication), which checks them.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }

cat >ca.cnf <<'EOF'
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
[server]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[named]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:redis.internal
[client]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

make_ca() { # name subject
    key "$1"
    openssl req -new -x509 -key "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
        -config ca.cnf -extensions root 2>/dev/null
}

# sign ca name subject extensions [openssl ca date options]
sign() {
    ca=$1 name=$2 subject=$3 extensions=$4
    shift 4
    key "$name"
    openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$subject" 2>/dev/null
    : >index.txt
    [ -f serial ] || echo 1000 >serial
    openssl ca -batch -config ca.cnf -cert "$ca.crt" -keyfile "$ca.key" -in "$name.csr" -out "$name.crt" \
        -extensions "$extensions" -notext "$@" 2>/dev/null
    rm -f "$name.csr"
}

make_ca ca "jobstatus test CA"
make_ca other-ca "some other CA"
sign ca server localhost server -days 3650
sign ca server-2 localhost server -days 3650
sign ca client jobstatus-front client -days 3650
sign ca expired localhost server -startdate 20200101000000Z -enddate 20200201000000Z
sign ca future localhost server -startdate 20990101000000Z -enddate 20991231000000Z
sign other-ca other localhost server -days 3650
sign ca named redis.internal named -days 3650
rm -f ./*.pem index.txt* serial* ca.cnf
chmod 644 ./*.key
