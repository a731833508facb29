#include "events/alert.h"

namespace netsift {

Event make_alert_event(const AlertInfo& a) {
  Event e("alert", a.ts, a.pool);
  e.set("kind", a.kind);
  if (a.src) e.set("src_ip", *a.src);
  if (a.dst) e.set("dst_ip", *a.dst);
  e.set("count", a.count);
  e.set_time("window", a.window);
  e.set("detail", a.detail);
  return e;
}

}  // namespace netsift
