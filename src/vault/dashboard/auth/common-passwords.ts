// A short built-in list of passwords that pass the length rule but appear at the top of every breach
// corpus (NIST 800-63B asks to refuse "commonly-used, expected, or compromised" values). Compared
// lowercased, with trailing digits and punctuation also stripped, so "Password1234!" is caught too.
const COMMON = new Set([
  'password', 'passwordpassword', 'password1234', 'password12345', 'password123456', 'passw0rd1234',
  'qwertyuiop', 'qwertyuiopasdf', 'qwerty123456', 'qwertyqwerty', 'asdfghjkl', 'asdfghjkl123', 'zxcvbnm123456',
  '123456789012', '1234567890123', '12345678901234', '123123123123', '111111111111', '000000000000', '123456123456',
  '1q2w3e4r5t6y', '1qaz2wsx3edc', 'qazwsxedcrfv', 'iloveyou', 'iloveyou1234', 'letmein', 'letmeinplease',
  'welcome', 'welcometothejungle', 'changeme', 'changemenow', 'administrator', 'admin', 'adminadmin', 'adminpassword',
  'superman', 'batman', 'football', 'baseball', 'basketball', 'sunshine', 'princess', 'starwars', 'trustno1',
  'monkey', 'dragon', 'master', 'shadow', 'michael', 'jennifer', 'whatever', 'secret', 'secretpassword',
  'ledgix', 'ledgixgateway', 'ledgixadmin', 'dashboard', 'correcthorsebatterystaple', 'abcdefghijkl', 'abcdefghijklmnop',
])

export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase()
  if (COMMON.has(lower)) return true
  const stem = lower.replace(/[\d\W_]+$/u, '')
  if (stem !== '' && COMMON.has(stem)) return true
  // One character repeated, or a run like "aaaaaaaaaaaa": never a password.
  return lower.length > 0 && [...lower].every((c) => c === lower[0])
}
