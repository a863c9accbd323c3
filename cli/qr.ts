/** QR codes for the terminal: the one place the `qrcode` package enters. */
import QRCode from 'qrcode'

export async function terminalQr (text: string): Promise<string> {
  return await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })
}
