#ifndef CEARLYSIGNALS_H
#define CEARLYSIGNALS_H

/// Installs the handler that only records the first SIGTERM/SIGINT (a second one stops the process the default way).
void cearly_signals_install(void);

/// The recorded signal, or 0; cleared by the call.
int cearly_signals_take(void);

#endif
