// The files a running core keeps in its home (core/daemon/files.ts): where the shell finds the
// QWebChannel endpoint and the token. Also the default home, chosen exactly as the CLI does.
#pragma once
#include <QString>

namespace HomeFiles {

struct CoreAddress {
    QString webchannelUrl; // ws://127.0.0.1:PORT/webchannel
    QString token;         // 64 hex characters, new at each daemon start
    qint64 pid = 0;
};

// $SECUSHARE_HOME, else $XDG_DATA_HOME/secushare, else ~/.local/share/secushare.
QString defaultHome();
// Whether the home holds a node (store.lmdb), i.e. `secushare init` ran there.
bool hasNode(const QString &home);
// Reads rpc.json and token; false when no daemon is running for the home (files missing,
// malformed, or the pid is gone). `why` says which.
bool readCoreAddress(const QString &home, CoreAddress *out, QString *why);
// `ws://HOST:PORT` (a remote core) → `ws://HOST:PORT/webchannel`; other URLs are kept.
QString webchannelUrlFor(const QString &coreUrl);

}
