//! Writes the benchmark tree for scripts/bench-check: N namespaces-worth of workloads, each a
//! Deployment (nginx + php-fpm), its Service and a ConfigMap with php-fpm and nginx configs.
//! `cargo run --release -p lameduck-check --example bench-tree -- DIR [N]`.
use std::fmt::Write as _;
use std::path::PathBuf;

// Long because one workload's YAML is one template, laid out as it reads in a manifest.
fn workload(i: usize) -> String {
    let mut out = String::new();
    let grace = 30 + i % 20;
    let sleep = 5 + i % 3;
    // Every fifth workload carries a mistake so the checker has findings to report.
    let fpm_sleep = if i % 5 == 0 { 1 } else { sleep };
    let pct = if i % 7 == 0 { "0" } else { "20s" };
    write!(
        out,
        r#"---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-{i}
  namespace: team-{ns}
  labels: {{app: shop-{i}, team: team-{ns}}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: shop-{i}}}
  template:
    metadata:
      labels: {{app: shop-{i}, team: team-{ns}}}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9113"
        prometheus.io/path: /metrics
        checksum/config: 4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
        cluster-autoscaler.kubernetes.io/safe-to-evict: "true"
        team.example.com/owner: team-{ns}
        team.example.com/runbook: https://runbooks.example.com/shop/shop-{i}
    spec:
      terminationGracePeriodSeconds: {grace}
      containers:
        - name: nginx
          image: nginx:1.25-alpine
          ports: [{{containerPort: 80, name: http}}]
          readinessProbe:
            httpGet: {{path: /healthz, port: 80}}
            periodSeconds: 2
          env:
            - {{name: NGINX_ENTRYPOINT_QUIET_LOGS, value: "1"}}
            - {{name: UPSTREAM, value: 127.0.0.1:9000}}
            - {{name: SERVER_NAME, value: shop-{i}.team-{ns}.example.com}}
          resources:
            requests: {{cpu: 100m, memory: 64Mi}}
            limits: {{memory: 128Mi}}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "sleep {sleep} && nginx -s quit"]
          volumeMounts:
            - {{name: nginx, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}}
        - name: fpm
          image: php:8.3-fpm-alpine
          ports: [{{containerPort: 9000, name: fastcgi}}]
          readinessProbe:
            tcpSocket: {{port: 9000}}
          env:
            - {{name: APP_ENV, value: production}}
            - {{name: APP_NAME, value: shop-{i}}}
            - {{name: DB_HOST, value: mysql.team-{ns}.svc.cluster.local}}
            - {{name: DB_DATABASE, value: shop_{i}}}
            - {{name: REDIS_HOST, value: redis.team-{ns}.svc.cluster.local}}
            - {{name: SESSION_DRIVER, value: redis}}
            - {{name: QUEUE_CONNECTION, value: redis}}
            - {{name: LOG_CHANNEL, value: stderr}}
          resources:
            requests: {{cpu: 250m, memory: 256Mi}}
            limits: {{memory: 512Mi}}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "sleep {fpm_sleep} && kill -QUIT 1"]
          volumeMounts:
            - {{name: fpm, mountPath: /usr/local/etc/php-fpm.d/zz-shop.conf, subPath: zz-shop.conf}}
      volumes:
        - name: nginx
          configMap: {{name: shop-{i}-nginx}}
        - name: fpm
          configMap: {{name: shop-{i}-fpm}}
---
apiVersion: v1
kind: Service
metadata:
  name: shop-{i}
  namespace: team-{ns}
spec:
  selector: {{app: shop-{i}}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-{i}-fpm
  namespace: team-{ns}
data:
  zz-shop.conf: |
    [global]
    error_log = /proc/self/fd/2
    process_control_timeout = {pct}

    [www]
    listen = 9000
    pm = dynamic
    pm.max_children = 20
    pm.start_servers = 4
    pm.min_spare_servers = 2
    pm.max_spare_servers = 6
    pm.max_requests = 500
    request_terminate_timeout = 20s
    catch_workers_output = yes
    decorate_workers_output = no
    clear_env = no
    php_admin_value[memory_limit] = 256M
    php_admin_value[error_log] = /proc/self/fd/2
    php_admin_flag[log_errors] = on
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-{i}-nginx
  namespace: team-{ns}
data:
  nginx.conf: |
    worker_processes auto;
    worker_shutdown_timeout 20s;
    error_log /dev/stderr warn;
    pid /tmp/nginx.pid;
    events {{
        worker_connections 1024;
    }}
    http {{
        include mime.types;
        default_type application/octet-stream;
        sendfile on;
        keepalive_timeout 65;
        log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent';
        access_log /dev/stdout main;
        upstream php {{
            server 127.0.0.1:9000;
        }}
        server {{
            listen 80 default_server;
            root /srv/public;
            index index.php;
            location = /healthz {{
                access_log off;
                return 200 "ok";
            }}
            location / {{
                try_files $uri /index.php$is_args$args;
            }}
            location ~ \.php$ {{
                fastcgi_pass php;
                fastcgi_split_path_info ^(.+\.php)(/.*)$;
                include fastcgi_params;
                fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
                fastcgi_param DOCUMENT_ROOT $realpath_root;
                fastcgi_read_timeout 30s;
            }}
        }}
    }}
"#,
        ns = i % 25,
    )
    .expect("writing to a String");
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: bench-tree DIR [WORKLOADS]"));
    let count: usize = args.next().map_or(1000, |n| n.parse().expect("WORKLOADS is a number"));
    let mut bytes = 0;
    for i in 0..count {
        let team = dir.join(format!("team-{}", i % 25));
        std::fs::create_dir_all(&team).expect("create the tree");
        let text = workload(i);
        bytes += text.len();
        std::fs::write(team.join(format!("shop-{i}.yaml")), text).expect("write a workload");
    }
    println!("{count} workloads, {:.1} MB of YAML", bytes as f64 / 1e6);
}
