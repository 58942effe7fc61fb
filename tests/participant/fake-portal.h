/* fake-portal.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FakePortal FakePortal;

/* The answer the fake background portal gives: the Request's response code (0 granted, 1
 * refused by the person, 2 ended otherwise) and the results it carries. */
typedef struct
{
  guint    response;
  gboolean background;
  gboolean autostart;
} FakePortalAnswer;

FakePortal *fake_portal_new                         (const char             *address);
void        fake_portal_free                        (FakePortal             *self);

void        fake_portal_set_power_saver             (FakePortal             *self,
                                                     gboolean                enabled);
void        fake_portal_set_network                 (FakePortal             *self,
                                                     gboolean                available,
                                                     gboolean                metered,
                                                     GNetworkConnectivity    connectivity);
guint       fake_portal_get_n_status_calls          (FakePortal             *self);

void        fake_portal_set_background_answer       (FakePortal             *self,
                                                     const FakePortalAnswer *answer);
guint       fake_portal_get_n_background_requests   (FakePortal             *self);
guint       fake_portal_get_n_background_responses  (FakePortal             *self);
GVariant   *fake_portal_dup_last_background_options (FakePortal             *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakePortal, fake_portal_free)

G_END_DECLS
