/* trb-cli-devices.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

int trb_cli_devices (int    argc,
                     char **argv);
