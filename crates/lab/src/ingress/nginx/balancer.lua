-- The `nginx` data plane's Lua balancer: ingress-nginx's rootfs/etc/nginx/lua/balancer.lua,
-- cut down to one backend with the default `load-balance: round_robin` (kubernetes/ingress-nginx
-- and openresty/lua-resty-balancer lib/resty/roundrobin.lua, read November 2026). Written into
-- the data plane's directory by lameduck lab; the lines it follows are quoted above each part.
local ngx_balancer = require("ngx.balancer")

-- "for an Nginx worker to pick up the new list of upstream peers it will take <the delay until
-- controller POSTed the backend object to the Nginx endpoint> + BACKENDS_SYNC_INTERVAL"
local BACKENDS_SYNC_INTERVAL = 1

local configuration_data = ngx.shared.configuration_data

local _M = {}

-- This worker's copy: the peers ("address:port") and the version of the POST they came from.
local peers = {}
local backends_last_synced_at = 0
-- resty.roundrobin's `last_id`: the peer picked last.
local last = 0

-- sync_backends: "if raw_backends_last_synced_at <= backends_last_synced_at then return end",
-- else rebuild the balancer; a backend without endpoints has none (`balancers[name] = nil`).
local function sync_backends()
  local version = configuration_data:get("backends_version") or 0
  if version <= backends_last_synced_at then
    return
  end
  local list = {}
  for peer in (configuration_data:get("backends") or ""):gmatch("%S+") do
    list[#list + 1] = peer
  end
  peers = list
  backends_last_synced_at = version
  -- roundrobin.lua's reinit: "self.last_id = get_random_node_id(nodes)".
  last = #list > 0 and math.random(#list) or 0
  -- The lab's confirmation that this worker has the change (docs/lab.md, "nginx").
  ngx.log(ngx.NOTICE, "lameduck-backends ", version, " ", #list)
end

-- init_worker: ingress-nginx first seeds each worker's PRNG (lua_ingress.lua:
-- "seed = get_seed_from_urandom()", "original_randomseed(seed)"); the lab seeds it from the
-- scenario's seed and the worker's number instead, so that a run's round robin starts where
-- the same scenario's did before, and the workers still start apart. Then balancer.lua: "when
-- worker starts, sync ... backends without delay", "ngx.timer.every(BACKENDS_SYNC_INTERVAL,
-- sync_backends)".
function _M.init_worker(seed)
  math.randomseed(seed + ngx.worker.id())
  sync_backends()
  local ok, err = ngx.timer.every(BACKENDS_SYNC_INTERVAL, sync_backends)
  if not ok then
    ngx.log(ngx.ERR, "error when setting up timer.every for sync_backends: ", err)
  end
end

-- rewrite: "if not balancer then ngx.status = ngx.HTTP_SERVICE_UNAVAILABLE".
function _M.rewrite()
  if #peers == 0 then
    return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
  end
end

-- balance, called for every try: the next peer in turn (tries already made are not skipped),
-- "ngx_balancer.set_more_tries(1)", "ngx_balancer.set_current_peer(peer)". With no peer left
-- (every endpoint removed between two tries) the placeholder server stays, as in ingress-nginx.
function _M.balance()
  if #peers == 0 then
    ngx.log(ngx.WARN, "no peer was returned, balancer: upstream_balancer")
    return
  end
  last = last % #peers + 1
  local peer = peers[last]
  ngx_balancer.set_more_tries(1)
  local host, port = peer:match("^(.+):(%d+)$")
  local ok, err = ngx_balancer.set_current_peer(host, tonumber(port))
  if not ok then
    ngx.log(ngx.ERR, "error while setting current upstream peer ", peer, ": ", err)
  end
end

-- POST /configuration/backends, as the controller posts to ingress-nginx's status port: the
-- peers, separated by spaces, go to the shared dict for every worker's next sync.
function _M.configure()
  ngx.req.read_body()
  local body = ngx.req.get_body_data() or ""
  local version = (configuration_data:get("backends_version") or 0) + 1
  configuration_data:set("backends", body)
  configuration_data:set("backends_version", version)
  ngx.say(version)
end

return _M
