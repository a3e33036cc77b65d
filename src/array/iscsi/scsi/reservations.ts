// Reservations of the logical units: SCSI-3 persistent reservations (PERSISTENT RESERVE IN/OUT,
// SPC-4 section 5.13) and the older RESERVE(6)/RELEASE(6) (SPC-2), which clustered hosts use to
// fence each other off a shared volume.
//
// Persistent reservations belong to initiator ports (IQN and ISID): a registration outlives its
// session and is dropped only by PERSISTENT RESERVE OUT. Persist Through Power Loss is supported
// when the device server is given a ReservationStore (the array's metadata): an LU whose last
// REGISTER set APTPL has its registrations and reservation saved durably before the command is
// answered, and restored when the array starts again. Without APTPL, an array restart clears them,
// as a power loss would. A RESERVE(6) reservation belongs to one session (I_T nexus) and ends with it,
// and with a LOGICAL UNIT RESET or a target reset. Following SPC-4's compatible reservation
// handling (CRH=1), RESERVE(6) conflicts while any registration exists, and a RESERVE(6)
// reservation makes every command of other nexuses conflict except RELEASE(6) and the ones
// answered on any LUN (INQUIRY, REPORT LUNS, REQUEST SENSE).
//
// State is kept per LU by its NAA designator, so every host that sees a volume, at whatever LUN,
// sees the same reservation.

import { PR_REGISTRATIONS_PER_LU_MAX, RESERVATION_UNITS_MAX } from './limits.js';
import { CheckCondition, invalidCdbField, invalidParameterField } from './sense.js';
import { type ScsiNexus, type ScsiResult, ScsiStatus } from './types.js';
import type { UnitAttentionName } from './unit-attention.js';

/** The reservation types (SPC-4 table 169). */
export const ReservationType = {
  WRITE_EXCLUSIVE: 1,
  EXCLUSIVE_ACCESS: 3,
  WRITE_EXCLUSIVE_REGISTRANTS_ONLY: 5,
  EXCLUSIVE_ACCESS_REGISTRANTS_ONLY: 6,
  WRITE_EXCLUSIVE_ALL_REGISTRANTS: 7,
  EXCLUSIVE_ACCESS_ALL_REGISTRANTS: 8,
} as const;

const VALID_TYPES: ReadonlySet<number> = new Set(Object.values(ReservationType));

/** Every registrant holds an all-registrants reservation. */
function isAllRegistrants(type: number): boolean {
  return (
    type === ReservationType.WRITE_EXCLUSIVE_ALL_REGISTRANTS ||
    type === ReservationType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS
  );
}

/**
 * Registrants-only and all-registrants types: registrants may use the LU, and a release is
 * announced to them (RESERVATIONS RELEASED).
 */
function isRegistrantsType(type: number): boolean {
  return type >= ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
}

/** Exclusive-access types: reads conflict too. */
function isExclusiveAccess(type: number): boolean {
  return (
    type === ReservationType.EXCLUSIVE_ACCESS ||
    type === ReservationType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY ||
    type === ReservationType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS
  );
}

/** PERSISTENT RESERVE IN service actions. */
export const PrIn = {
  READ_KEYS: 0,
  READ_RESERVATION: 1,
  REPORT_CAPABILITIES: 2,
  READ_FULL_STATUS: 3,
} as const;

/** PERSISTENT RESERVE OUT service actions (REGISTER AND MOVE, 7, is not supported). */
export const PrOut = {
  REGISTER: 0,
  RESERVE: 1,
  RELEASE: 2,
  CLEAR: 3,
  PREEMPT: 4,
  PREEMPT_AND_ABORT: 5,
  REGISTER_AND_IGNORE_EXISTING_KEY: 6,
} as const;

/** The basic PERSISTENT RESERVE OUT parameter list: the only length accepted (no SPEC_I_PT). */
export const PR_OUT_PARAMETER_BYTES = 24;

/** How a command is affected by reservations (SPC-4 tables 57-58, SBC-3 table 13). */
export type ReservationAccess = 'read' | 'write';

interface PersistentReservation {
  /** The initiator port that holds it (for all-registrants types: the one that made it). */
  holder: string;
  type: number;
}

/** An LU's persistent reservation state as a ReservationStore keeps it (keys in hex). */
export interface SavedReservations {
  naa: string;
  generation: number;
  registrations: Array<[initiatorPort: string, key: string]>;
  reservation: { holder: string; type: number } | null;
}

/** Where LUs with APTPL set keep their state across restarts. */
export interface ReservationStore {
  /** What was saved, read once when the device server starts. */
  load(): SavedReservations[];
  /** Durably records an LU's state; null forgets it. */
  save(naa: string, state: SavedReservations | null): Promise<void>;
}

class UnitReservations {
  /** PRgeneration: counts the PERSISTENT RESERVE OUT commands that changed registrations. */
  generation = 0;
  /** Activate Persist Through Power Loss, as the last successful REGISTER set it. */
  aptpl = false;
  /** A ReservationStore holds state for this LU (it must be forgotten there when APTPL goes). */
  saved = false;
  /** Reservation key per registered initiator port, in registration order. */
  readonly registrations = new Map<string, bigint>();
  reservation: PersistentReservation | null = null;
  /** The session (I_T nexus) holding a RESERVE(6) reservation, if any. */
  legacyHolder: string | null = null;

  /** PRgeneration is a 32-bit counter that wraps. */
  bumpGeneration(): void {
    this.generation = (this.generation + 1) >>> 0;
  }

  holds(port: string): boolean {
    const r = this.reservation;
    if (r === null) return false;
    return isAllRegistrants(r.type) ? this.registrations.has(port) : r.holder === port;
  }

  get idle(): boolean {
    return this.registrations.size === 0 && this.reservation === null && this.legacyHolder === null;
  }
}

/** Tells the sessions of an initiator port about a reservation event on an LU. */
export type ReservationNotice = (initiatorPort: string, naa: string, name: UnitAttentionName) => void;

const CONFLICT: ScsiResult = { status: ScsiStatus.RESERVATION_CONFLICT };

/** Commands that use the medium, per LU and initiator port, still running (see mediumTasks). */
interface RunningTasks {
  count: number;
  idle: Array<() => void>;
}

export class Reservations {
  private readonly units = new Map<string, UnitReservations>();
  /** Per LU (NAA), per initiator port. */
  private readonly running = new Map<string, Map<string, RunningTasks>>();

  constructor(
    private readonly notify: ReservationNotice,
    private readonly store: ReservationStore | null = null,
  ) {
    for (const saved of store?.load() ?? []) {
      const unit = new UnitReservations();
      unit.generation = saved.generation;
      unit.aptpl = true;
      unit.saved = true;
      for (const [port, key] of saved.registrations) unit.registrations.set(port, BigInt(`0x${key}`));
      if (saved.reservation && unit.registrations.has(saved.reservation.holder))
        unit.reservation = { ...saved.reservation };
      this.units.set(saved.naa, unit);
    }
  }

  private unit(naa: string): UnitReservations {
    let unit = this.units.get(naa);
    if (unit === undefined) {
      // An LU keeps its entry once used (PRgeneration must not go back); at the bound, an idle
      // entry makes room, and only a target with that many LUs reserved at once refuses.
      if (this.units.size >= RESERVATION_UNITS_MAX && !this.evictIdle())
        throw new CheckCondition('insufficient-registration-resources', 'too many LUs with reservations');
      unit = new UnitReservations();
      this.units.set(naa, unit);
    }
    return unit;
  }

  private evictIdle(): boolean {
    for (const [naa, unit] of this.units) {
      if (!unit.idle) continue;
      this.units.delete(naa);
      return true;
    }
    return false;
  }

  /**
   * Whether a command of `nexus` on the LU conflicts with a reservation: `access` is how the
   * command uses the medium (undefined: neither, e.g. TEST UNIT READY), `release6` marks RELEASE(6),
   * which never conflicts.
   */
  conflicts(naa: string, nexus: ScsiNexus, access: ReservationAccess | undefined, release6 = false): boolean {
    const unit = this.units.get(naa);
    if (unit === undefined) return false;
    if (unit.legacyHolder !== null && unit.legacyHolder !== nexus.sessionId && !release6) return true;
    const reservation = unit.reservation;
    if (reservation === null || access === undefined || unit.holds(nexus.initiatorPort)) return false;
    // Registrants-only and all-registrants types let every registrant in.
    if (isRegistrantsType(reservation.type) && unit.registrations.has(nexus.initiatorPort)) return false;
    return isExclusiveAccess(reservation.type) || access === 'write';
  }

  /**
   * Counts a read or write of `initiatorPort` on the LU that passed the conflict check, until it
   * ends. A PERSISTENT RESERVE OUT that removes registrations answers only once the removed
   * ports' counted commands have ended, so a fenced host's write that was already let through
   * (and waits on a lock or a full cache) can never land after the fencing host got GOOD.
   */
  taskStarted(naa: string, initiatorPort: string): void {
    let ports = this.running.get(naa);
    if (ports === undefined) {
      ports = new Map();
      this.running.set(naa, ports);
    }
    const tasks = ports.get(initiatorPort);
    if (tasks === undefined) ports.set(initiatorPort, { count: 1, idle: [] });
    else tasks.count++;
  }

  taskEnded(naa: string, initiatorPort: string): void {
    const ports = this.running.get(naa);
    const tasks = ports?.get(initiatorPort);
    if (ports === undefined || tasks === undefined) return;
    if (--tasks.count > 0) return;
    ports.delete(initiatorPort);
    if (ports.size === 0) this.running.delete(naa);
    for (const wake of tasks.idle) wake();
  }

  private async tasksEnded(naa: string, initiatorPorts: string[]): Promise<void> {
    for (const port of initiatorPorts) {
      const tasks = this.running.get(naa)?.get(port);
      if (tasks !== undefined) await new Promise<void>((resolve) => tasks.idle.push(resolve));
    }
  }

  // ---- RESERVE(6) / RELEASE(6) ----

  /**
   * RESERVE(6). While registrations exist (compatible reservation handling, SPC-4 section 5.13.3)
   * it changes nothing: GOOD for a nexus the persistent reservation already lets in, RESERVATION
   * CONFLICT for any other.
   */
  reserve6(naa: string, nexus: ScsiNexus): ScsiResult {
    const unit = this.unit(naa);
    if (unit.registrations.size > 0 || unit.reservation !== null)
      return this.coveredByPersistent(unit, nexus) ? { status: ScsiStatus.GOOD } : CONFLICT;
    if (unit.legacyHolder !== null && unit.legacyHolder !== nexus.sessionId) return CONFLICT;
    unit.legacyHolder = nexus.sessionId;
    return { status: ScsiStatus.GOOD };
  }

  /**
   * RELEASE(6): releases the nexus's RESERVE(6) reservation; a release by another nexus changes
   * nothing. While registrations exist it is treated as RESERVE(6) is.
   */
  release6(naa: string, nexus: ScsiNexus): ScsiResult {
    const unit = this.units.get(naa);
    if (unit === undefined) return { status: ScsiStatus.GOOD };
    if (unit.registrations.size > 0 || unit.reservation !== null)
      return this.coveredByPersistent(unit, nexus) ? { status: ScsiStatus.GOOD } : CONFLICT;
    if (unit.legacyHolder === nexus.sessionId) unit.legacyHolder = null;
    return { status: ScsiStatus.GOOD };
  }

  /** The nexus holds the persistent reservation, or is a registrant one lets in. */
  private coveredByPersistent(unit: UnitReservations, nexus: ScsiNexus): boolean {
    const reservation = unit.reservation;
    if (reservation === null) return false;
    if (unit.holds(nexus.initiatorPort)) return true;
    return isRegistrantsType(reservation.type) && unit.registrations.has(nexus.initiatorPort);
  }

  /** The session ended (logout, connection loss, reinstatement): its RESERVE(6) reservations end. */
  sessionEnded(sessionId: string): void {
    for (const unit of this.units.values()) if (unit.legacyHolder === sessionId) unit.legacyHolder = null;
  }

  /**
   * LOGICAL UNIT RESET (`naa`) or a target reset (null) ends RESERVE(6) reservations. Persistent
   * reservations survive resets (SPC-4 section 5.13.1).
   */
  reset(naa: string | null): void {
    for (const [key, unit] of this.units) if (naa === null || key === naa) unit.legacyHolder = null;
  }

  // ---- PERSISTENT RESERVE IN ----

  persistentReserveIn(naa: string, cdb: Buffer): ScsiResult {
    const serviceAction = (cdb[1] ?? 0) & 0x1f;
    const allocation = cdb.readUInt16BE(7);
    const unit = this.units.get(naa) ?? new UnitReservations();
    // While a RESERVE(6) reservation exists, persistent reservation commands conflict, whoever sends them.
    if (unit.legacyHolder !== null) return CONFLICT;
    let data: Buffer;
    switch (serviceAction) {
      case PrIn.READ_KEYS:
        data = readKeys(unit);
        break;
      case PrIn.READ_RESERVATION:
        data = readReservation(unit);
        break;
      case PrIn.REPORT_CAPABILITIES:
        data = reportCapabilities(this.store !== null, unit.aptpl);
        break;
      case PrIn.READ_FULL_STATUS:
        data = readFullStatus(unit);
        break;
      default:
        throw invalidCdbField(`PERSISTENT RESERVE IN service action ${serviceAction} is not supported`, 1, 4);
    }
    return { status: ScsiStatus.GOOD, dataIn: data.subarray(0, Math.min(allocation, data.length)) };
  }

  // ---- PERSISTENT RESERVE OUT ----

  async persistentReserveOut(
    naa: string,
    nexus: ScsiNexus,
    cdb: Buffer,
    parameters: Buffer,
  ): Promise<ScsiResult> {
    const serviceAction = (cdb[1] ?? 0) & 0x1f;
    const scope = (cdb[2] ?? 0) >> 4;
    const type = (cdb[2] ?? 0) & 0x0f;
    const listBytes = cdb.readUInt32BE(5);
    if (
      serviceAction > PrOut.REGISTER_AND_IGNORE_EXISTING_KEY ||
      // REGISTER AND MOVE has its own parameter list; the target has one port to move to anyway.
      serviceAction === 7
    )
      throw invalidCdbField(`PERSISTENT RESERVE OUT service action ${serviceAction} is not supported`, 1, 4);
    if (listBytes !== PR_OUT_PARAMETER_BYTES || parameters.length < PR_OUT_PARAMETER_BYTES)
      throw new CheckCondition(
        'parameter-list-length-error',
        `PERSISTENT RESERVE OUT parameter list is ${listBytes} bytes, not ${PR_OUT_PARAMETER_BYTES}`,
      );
    const key = parameters.readBigUInt64BE(0);
    const serviceActionKey = parameters.readBigUInt64BE(8);
    const flags = parameters[20] ?? 0;
    const registering =
      serviceAction === PrOut.REGISTER || serviceAction === PrOut.REGISTER_AND_IGNORE_EXISTING_KEY;
    if (flags & 0x08) throw invalidParameterField('SPEC_I_PT is not supported', 20);
    // ALL_TG_PT and APTPL mean something to the registering service actions only; others ignore them.
    if (registering && flags & 0x04) throw invalidParameterField('ALL_TG_PT is not supported', 20);
    if (registering && flags & 0x01 && this.store === null)
      throw invalidParameterField('APTPL is not supported (PTPL_C=0)', 20);
    const unit = this.unit(naa);
    if (unit.legacyHolder !== null) return CONFLICT;
    const port = nexus.initiatorPort;
    if (registering) {
      const result = this.register(unit, naa, port, key, serviceActionKey, serviceAction === PrOut.REGISTER);
      if (result.status !== ScsiStatus.GOOD) return result;
      unit.aptpl = (flags & 0x01) === 0x01;
      await this.persist(naa, unit);
      return result;
    }
    // Every other service action needs the nexus registered with the key it sends.
    if (unit.registrations.get(port) !== key) return CONFLICT;
    const needsType = serviceAction !== PrOut.CLEAR;
    if (needsType && scope !== 0) throw invalidCdbField(`scope ${scope} is not LU_SCOPE`, 2, 7);
    if (needsType && !VALID_TYPES.has(type)) throw invalidCdbField(`reservation type ${type}`, 2, 3);
    if (serviceAction === PrOut.RESERVE || serviceAction === PrOut.RELEASE) {
      const result =
        serviceAction === PrOut.RESERVE
          ? this.reserve(unit, port, type)
          : this.release(unit, naa, port, type);
      if (result.status === ScsiStatus.GOOD) await this.persist(naa, unit);
      return result;
    }
    const removed =
      serviceAction === PrOut.CLEAR
        ? this.clear(unit, naa, port)
        : this.preempt(unit, naa, port, serviceActionKey, type);
    if (removed === null) return CONFLICT;
    await this.persist(naa, unit);
    await this.tasksEnded(naa, removed);
    return { status: ScsiStatus.GOOD };
  }

  /** Saves the LU's state if APTPL is set, or forgets what was saved once it is not. */
  private async persist(naa: string, unit: UnitReservations): Promise<void> {
    if (this.store === null) return;
    const keep = unit.aptpl && unit.registrations.size > 0;
    if (!keep && !unit.saved) return;
    await this.store.save(
      naa,
      keep
        ? {
            naa,
            generation: unit.generation,
            registrations: [...unit.registrations].map(([port, key]) => [port, key.toString(16)]),
            reservation: unit.reservation ? { ...unit.reservation } : null,
          }
        : null,
    );
    unit.saved = keep;
  }

  private register(
    unit: UnitReservations,
    naa: string,
    port: string,
    key: bigint,
    newKey: bigint,
    checkKey: boolean,
  ): ScsiResult {
    const current = unit.registrations.get(port);
    if (checkKey && key !== (current ?? 0n)) return CONFLICT;
    if (newKey === 0n) {
      if (current === undefined) return { status: ScsiStatus.GOOD }; // nothing to unregister
      this.unregister(unit, naa, port);
    } else {
      if (current === undefined && unit.registrations.size >= PR_REGISTRATIONS_PER_LU_MAX)
        throw new CheckCondition('insufficient-registration-resources', 'too many registrations on this LU');
      unit.registrations.set(port, newKey);
    }
    unit.bumpGeneration();
    return { status: ScsiStatus.GOOD };
  }

  /**
   * Drops a registration. The holder of a reservation that is not all-registrants loses it; an
   * all-registrants reservation ends with its last registrant (SPC-4 section 5.13.11.2.3).
   */
  private unregister(unit: UnitReservations, naa: string, port: string): void {
    const holder = unit.holds(port);
    unit.registrations.delete(port);
    const reservation = unit.reservation;
    if (reservation === null) return;
    if (isAllRegistrants(reservation.type)) {
      if (unit.registrations.size === 0) unit.reservation = null;
      return;
    }
    if (!holder) return;
    unit.reservation = null;
    if (isRegistrantsType(reservation.type)) this.tellRegistrants(unit, naa, 'reservations-released', port);
  }

  private reserve(unit: UnitReservations, port: string, type: number): ScsiResult {
    const reservation = unit.reservation;
    if (reservation === null) {
      unit.reservation = { holder: port, type };
      return { status: ScsiStatus.GOOD };
    }
    return unit.holds(port) && reservation.type === type ? { status: ScsiStatus.GOOD } : CONFLICT;
  }

  private release(unit: UnitReservations, naa: string, port: string, type: number): ScsiResult {
    const reservation = unit.reservation;
    if (reservation === null || !unit.holds(port)) return { status: ScsiStatus.GOOD };
    if (reservation.type !== type)
      throw new CheckCondition(
        'invalid-release-of-persistent-reservation',
        `release of type ${type}; the reservation is of type ${reservation.type}`,
      );
    unit.reservation = null;
    if (isRegistrantsType(type)) this.tellRegistrants(unit, naa, 'reservations-released', port);
    return { status: ScsiStatus.GOOD };
  }

  /** CLEAR; returns the other initiator ports whose registrations it removed. */
  private clear(unit: UnitReservations, naa: string, port: string): string[] {
    this.tellRegistrants(unit, naa, 'reservations-preempted', port);
    const removed = [...unit.registrations.keys()].filter((other) => other !== port);
    unit.registrations.clear();
    unit.reservation = null;
    unit.bumpGeneration();
    return removed;
  }

  /**
   * PREEMPT and PREEMPT AND ABORT; returns the initiator ports whose registrations it removed, or
   * null for RESERVATION CONFLICT. Neither aborts the preempted ports' running commands; the caller
   * waits for them instead (see taskStarted).
   */
  private preempt(
    unit: UnitReservations,
    naa: string,
    port: string,
    victimKey: bigint,
    type: number,
  ): string[] | null {
    const reservation = unit.reservation;
    const takesOver =
      reservation !== null &&
      (isAllRegistrants(reservation.type)
        ? victimKey === 0n
        : unit.registrations.get(reservation.holder) === victimKey);
    if (!takesOver && victimKey === 0n)
      throw invalidParameterField('SERVICE ACTION RESERVATION KEY 0 names no registration', 8);
    const removed: string[] = [];
    for (const [other, otherKey] of unit.registrations) {
      if (other === port) continue;
      if (victimKey === 0n || otherKey === victimKey) removed.push(other);
    }
    if (removed.length === 0 && !takesOver) return null;
    for (const other of removed) unit.registrations.delete(other);
    for (const other of removed) this.notify(other, naa, 'registrations-preempted');
    if (takesOver) {
      unit.reservation = { holder: port, type };
      // A new type changes what the remaining registrants may do: they are told.
      if (reservation.type !== type) this.tellRegistrants(unit, naa, 'reservations-released', port);
    }
    unit.bumpGeneration();
    return removed;
  }

  private tellRegistrants(
    unit: UnitReservations,
    naa: string,
    name: UnitAttentionName,
    except: string,
  ): void {
    for (const other of unit.registrations.keys()) if (other !== except) this.notify(other, naa, name);
  }
}

/** PRgeneration and ADDITIONAL LENGTH, followed by room for `bodyBytes` of parameter data. */
function header(generation: number, bodyBytes: number): Buffer {
  const out = Buffer.alloc(8 + bodyBytes);
  out.writeUInt32BE(generation, 0);
  out.writeUInt32BE(bodyBytes, 4);
  return out;
}

/** READ KEYS: PRgeneration, then every registered key (ADDITIONAL LENGTH counts them all). */
function readKeys(unit: UnitReservations): Buffer {
  const keys = [...unit.registrations.values()];
  const out = header(unit.generation, keys.length * 8);
  for (const [i, key] of keys.entries()) out.writeBigUInt64BE(key, 8 + i * 8);
  return out;
}

/** READ RESERVATION: the reservation's key (0 for all-registrants types), scope and type. */
function readReservation(unit: UnitReservations): Buffer {
  const reservation = unit.reservation;
  if (reservation === null) return header(unit.generation, 0);
  const out = header(unit.generation, 16);
  const key = isAllRegistrants(reservation.type) ? 0n : (unit.registrations.get(reservation.holder) ?? 0n);
  out.writeBigUInt64BE(key, 8);
  out[21] = reservation.type; // scope 0 (LU_SCOPE) in the high nibble
  return out;
}

/**
 * REPORT CAPABILITIES: CRH (RESERVE(6) conflicts with registrations), no SPEC_I_PT or ALL_TG_PT,
 * PTPL_C with a store (and PTPL_A when APTPL is set); the type mask valid, with all six types;
 * ALLOW COMMANDS 0.
 */
function reportCapabilities(ptplCapable: boolean, aptpl: boolean): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16BE(8, 0);
  out[2] = 0x10 | (ptplCapable ? 0x01 : 0); // CRH, PTPL_C
  out[3] = 0x80 | (aptpl ? 0x01 : 0); // TMV, PTPL_A
  out[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
  out[5] = 0x01; // EX_AC_AR
  return out;
}

/** READ FULL STATUS: one descriptor per registration, with its iSCSI TransportID. */
function readFullStatus(unit: UnitReservations): Buffer {
  const descriptors: Buffer[] = [];
  for (const [port, key] of unit.registrations) {
    const transportId = iscsiTransportId(port);
    const descriptor = Buffer.alloc(24 + transportId.length);
    descriptor.writeBigUInt64BE(key, 0);
    const reservation = unit.reservation;
    if (reservation !== null && unit.holds(port)) {
      descriptor[12] = 0x01; // R_HOLDER
      descriptor[13] = reservation.type;
    }
    descriptor.writeUInt16BE(1, 18); // RELATIVE TARGET PORT IDENTIFIER: our one port
    descriptor.writeUInt32BE(transportId.length, 20);
    transportId.copy(descriptor, 24);
    descriptors.push(descriptor);
  }
  const body = Buffer.concat(descriptors);
  const out = header(unit.generation, body.length);
  body.copy(out, 8);
  return out;
}

/** An iSCSI TransportID of format 01b: "<iqn>,i,0x<isid>", NUL-terminated, padded to 4 bytes. */
function iscsiTransportId(initiatorPort: string): Buffer {
  const name = Buffer.from(`${initiatorPort}\0`, 'utf8');
  const padded = Math.ceil(name.length / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  out[0] = 0x40 | 0x05; // FORMAT CODE 01b, PROTOCOL IDENTIFIER 5 (iSCSI)
  out.writeUInt16BE(padded, 2);
  name.copy(out, 4);
  return out;
}
