# systemd-analyze verifies the streamfs@.service unit (ServiceInstallTest). It ships with the systemd package,
# which also installs and works on a system where systemd is not PID 1 (containers).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "ci: installing systemd (for systemd-analyze verify)"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
# The notify test binds its receiving socket with python3.
if ! command -v python3 >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends python3 >/dev/null
fi
