# S3Proxy 4.1.0 for the S3 integration tests (S3StoreIT and friends start it themselves on 127.0.0.1).
# The pom copies the jar from ~/.m2 to target/s3proxy/ before the integration tests; this only pre-fetches it
# so a network hiccup shows up here, early, with a clear message. Idempotent. Sourced by .ci/run.
s3proxy_jar="$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar"
if [ ! -s "$s3proxy_jar" ]; then
  echo "ci: fetching S3Proxy 4.1.0 (about 55 MB)"
  mvn -B -q dependency:get -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies -Dtransitive=false
fi
[ -s "$s3proxy_jar" ] || { echo "ci: S3Proxy jar missing after download: $s3proxy_jar" >&2; return 1; }
unset s3proxy_jar
