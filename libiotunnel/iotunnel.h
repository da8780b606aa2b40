/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __IOTUNNEL_H_INSIDE__

#include "iot-address.h"
#include "iot-codec-common.h"
#include "iot-codec.h"
#include "iot-connection.h"
#include "iot-endpoint.h"
#include "iot-export.h"
#include "iot-frame-decoder.h"
#include "iot-frame-encoder.h"
#include "iot-message-validator.h"
#include "iot-message.h"
#include "iot-pausable-io-stream.h"
#include "iot-plugin.h"
#include "iot-session.h"
#include "iot-small-file.h"
#include "iot-stream-table.h"
#include "iot-subprotocol.h"
#include "iot-transport.h"
#include "iot-tunnel-log.h"
#include "iot-websocket-frame.h"

#undef __IOTUNNEL_H_INSIDE__
