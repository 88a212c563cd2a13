import GSSACLI

await GSSACommand.runAndExit()
