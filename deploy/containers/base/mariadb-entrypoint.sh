#!/bin/sh
# Initialises /var/lib/mysql on the first start (the database and user of
# MYSQL_DATABASE / MYSQL_USER / MYSQL_PASSWORD, root's MYSQL_ROOT_PASSWORD),
# as the official image does: a temporary server on a socket only, set up
# with the client, stopped; then the server runs in the foreground.
set -eu
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
	: "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is required}"
	mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal --skip-test-db >/dev/null
	sock=/run/mysqld/init.sock
	mariadbd --datadir="$datadir" --skip-networking --socket="$sock" &
	pid=$!
	i=0
	until mariadb-admin --socket="$sock" -u root ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || { echo "entrypoint: the temporary server did not start" >&2; exit 1; }
		sleep 1
	done
	{
		if [ -n "${MYSQL_DATABASE:-}" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
		fi
		if [ -n "${MYSQL_USER:-}" ]; then
			echo "CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '${MYSQL_PASSWORD:?MYSQL_PASSWORD is required with MYSQL_USER}';"
			[ -z "${MYSQL_DATABASE:-}" ] || echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
		fi
		echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
		echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
		echo "FLUSH PRIVILEGES;"
	} | mariadb --socket="$sock" -u root
	kill "$pid" && wait "$pid" || true
	echo "entrypoint: initialised $datadir"
fi
exec mariadbd --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 --skip-name-resolve "$@"
