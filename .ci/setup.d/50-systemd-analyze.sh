# systemd-analyze verifies the streamfs@.service unit (ServiceInstallTest); the notify test binds its receiving
# socket with python3. systemd installs and works on a system where it is not PID 1 (containers).
need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "ci: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
